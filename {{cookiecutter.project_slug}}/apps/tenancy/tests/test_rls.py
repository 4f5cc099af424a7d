"""Isolation by the database: what PostgreSQL refuses even to SQL that forgets the tenant.

Row-level security exists only in PostgreSQL; on SQLite these tests are skipped and the
ORM's filter is the only guard. CI runs them against PostgreSQL (DATABASE_URL).
"""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from apps.tenancy.context import tenant_context
from apps.tenancy.models import Tenant, TenantOwnedModel
from apps.tenancy.operations import EnableRowLevelSecurity, policy_name
from apps.tenancy.tests.factories import TenantFactory
from apps.tenancy.tests.testapp.models import Memo

pytestmark = pytest.mark.django_db

# A role with no privilege beyond what the tests grant it in their own transaction.
ISOLATION_ROLE = "tenancy_isolation_tests"


@pytest.fixture(autouse=True)
def postgresql_as_an_ordinary_role(db: None) -> None:
    """Run as a role row-level security applies to.

    Superusers and BYPASSRLS roles ignore the policies even when they are forced, so a
    test database reached as one (the postgres user of a container, say) would prove
    nothing: the tests then switch to an ordinary role, created in their transaction
    and gone with its rollback.
    """
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's: run with DATABASE_URL pointing at PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        (exempt,) = cursor.fetchone()
        if exempt:
            cursor.execute(f"CREATE ROLE {ISOLATION_ROLE} NOLOGIN")
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {ISOLATION_ROLE}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ISOLATION_ROLE}")
            cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {ISOLATION_ROLE}")
            cursor.execute(f"SET LOCAL ROLE {ISOLATION_ROLE}")
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)


@pytest.fixture
def tenants() -> tuple[Tenant, Tenant]:
    """Two tenants with a memo each."""
    acme, globex = TenantFactory.create_batch(2)
    for tenant in (acme, globex):
        with tenant_context(tenant):
            Memo.objects.create(text=f"{tenant.slug}'s memo")
    return acme, globex


def raw_memo_texts() -> list[str]:
    """Every memo SQL can see: deliberately no tenant filter."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM tenancy_testapp_memo ORDER BY text")
        return [text for (text,) in cursor.fetchall()]


def test_every_tenant_owned_table_is_under_a_forced_policy() -> None:
    tenant_owned = [model for model in apps.get_models() if issubclass(model, TenantOwnedModel)]
    assert Memo in tenant_owned
    with connection.cursor() as cursor:
        for model in tenant_owned:
            table = model._meta.db_table
            assert row_security_of(table) == (True, True), f"{table}: add EnableRowLevelSecurity to its migration"
            cursor.execute(
                "SELECT qual, with_check FROM pg_policies WHERE tablename = %s AND policyname = %s",
                [table, policy_name(table)],
            )
            policy = cursor.fetchone()
            assert policy is not None, f"{table} has no tenant policy: add EnableRowLevelSecurity to its migration"
            assert all("app.tenant_id" in clause for clause in policy), policy


def test_unfiltered_sql_sees_only_the_current_tenants_rows(tenants: tuple[Tenant, Tenant]) -> None:
    acme, globex = tenants

    with tenant_context(acme):
        assert raw_memo_texts() == [f"{acme.slug}'s memo"]
        # The escape hatch from the ORM's filter does not get past the database's.
        assert [memo.text for memo in Memo.unscoped.all()] == [f"{acme.slug}'s memo"]
    with tenant_context(globex):
        assert raw_memo_texts() == [f"{globex.slug}'s memo"]
    # No tenant: no rows at all, not every row.
    assert raw_memo_texts() == []


def test_a_row_for_another_tenant_cannot_be_written(tenants: tuple[Tenant, Tenant]) -> None:
    acme, globex = tenants

    with tenant_context(acme):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Memo.unscoped.create(text="planted", tenant=globex)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Memo.unscoped.update(tenant=globex)
        # Rows of the other tenant cannot be reached to change them.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenancy_testapp_memo SET text = 'defaced' WHERE tenant_id = %s", [globex.pk])
            assert cursor.rowcount == 0
    with tenant_context(globex):
        assert raw_memo_texts() == [f"{globex.slug}'s memo"]


def row_security_of(table: str) -> tuple[bool, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()


def test_the_operation_is_reversible() -> None:
    label, table = "tenancy_testapp", Memo._meta.db_table
    loader = MigrationLoader(connection)
    state = loader.project_state((label, "0001_initial"))
    [operation] = [
        operation
        for operation in loader.get_migration(label, "0001_initial").operations
        if isinstance(operation, EnableRowLevelSecurity)
    ]
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")  # altering the table takes its owner

    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards(label, editor, state, state)
    assert row_security_of(table) == (False, False)
    with connection.schema_editor(atomic=False) as editor:
        operation.database_forwards(label, editor, state, state)
    assert row_security_of(table) == (True, True)
