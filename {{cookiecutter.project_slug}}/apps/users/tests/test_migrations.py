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
        migrate(AFTER)

        # Then the account counts as verified. Read through the model as of that migration: the
        # current one would also select the columns of every later migration, which are not there yet.
        migrated = executor.loader.project_state(AFTER).apps.get_model("users", "User")
        assert migrated.objects.get(email="early@example.com").email_verified_at is not None
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
