import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("users", "0001_initial")]
AFTER = [("users", "0002_user_email_verified_at")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_accounts_from_before_verification_can_still_log_in() -> None:
    # Given an account made before the verification field existed
    executor = migrate(BEFORE)
    try:
        historical = executor.loader.project_state(BEFORE).apps.get_model("users", "User")
        historical.objects.create(email="early@example.com", password="!")

        # When the migration that adds it runs
        executor = migrate(AFTER)

        # Then the account counts as verified (read as of AFTER: fields added by later
        # migrations, the project's own included, are not in the table yet)
        user_model = executor.loader.project_state(AFTER).apps.get_model("users", "User")
        assert user_model.objects.filter(email="early@example.com", email_verified_at__isnull=False).exists()
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
