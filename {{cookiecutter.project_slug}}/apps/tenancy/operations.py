"""A migration operation that puts a tenant-owned table under PostgreSQL row-level security."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState, StateApps

# current_setting(..., true) is NULL when the setting was never made in the session and ''
# once a transaction that made it has ended; both mean "no tenant", which matches no row.
TENANT_MATCHES = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def policy_name(table: str) -> str:
    return f"{table}_tenant_isolation"


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """``EnableRowLevelSecurity("order")``: rows are visible and writable only to their tenant.

    FORCE makes the policy apply to the table's owner too: in the usual one-role setup the
    application's role owns the tables it migrated, and an owner is otherwise exempt.
    Database superusers and roles with BYPASSRLS are exempt even then, so production must
    not connect as one. A no-op on databases other than PostgreSQL, which have no row-level security.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__qualname__, [], {"model_name": self.model_name}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # the policy lives in the database only; the model state does not change

    def _table(self, app_label: str, apps: StateApps) -> str:
        return apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = self._table(app_label, to_state.apps)
        quote = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {quote(table)} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {quote(policy_name(table))} ON {quote(table)} "
            f"USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})"
        )

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = self._table(app_label, from_state.apps)
        quote = schema_editor.quote_name
        schema_editor.execute(f"DROP POLICY IF EXISTS {quote(policy_name(table))} ON {quote(table)}")
        schema_editor.execute(f"ALTER TABLE {quote(table)} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {quote(table)} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}, one tenant per row"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_row_level_security"
