"""Zero-downtime migration rules, checked by a machine instead of remembered.

A deploy migrates the database while the previous release is still serving
requests, so every migration must work with the code before it as well as the
code after it. This module reads the project's own migrations (apps under
``apps/``) and reports the operations that break the running release or lock a
busy table. ``apps/devtools/tests/test_migration_safety.py`` runs it in the test
suite, so CI fails on an unsafe migration.

An operation that is unsafe in general but fine in one migration (the column
has been unused for a release, the table has a hundred rows) is accepted when
the ``Migration`` class names it, with the reason, in ``reviewed_unsafe``::

    class Migration(migrations.Migration):
        reviewed_unsafe = {"RemoveField": "User.nickname unused since release 1.4"}

Operations on a model created earlier in the same migration are always safe:
no released code knows that table yet.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import models
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

REVIEWED_ATTRIBUTE = "reviewed_unsafe"
PROJECT_APPS_PREFIX = "apps."

DROPS_COLUMN = (
    "drops a column the running release still reads and writes: "
    "stop using the field in one release, remove it in the next"
)
DROPS_TABLE = (
    "drops a table the running release still queries: stop using the model in one release, delete it in the next"
)
RENAMES_COLUMN = (
    "renames a column the running release still uses by its old name: "
    "add the new field, copy the data, then remove the old field, over separate releases"
)
RENAMES_TABLE = (
    "renames a table the running release still uses by its old name: "
    "keep the table name (Meta.db_table) or move the data over separate releases"
)
NOT_NULL_COLUMN = (
    "adds a NOT NULL column without db_default to an existing table: "
    "inserts by the running release fail; add it with null=True or db_default"
)
SETS_NOT_NULL = (
    "makes an existing column NOT NULL: the running release may still write NULL and PostgreSQL checks "
    "every row under an exclusive lock; backfill and stop writing NULL first, then review"
)
INDEX_LOCKS_WRITES = (
    "builds an index on an existing table while blocking its writes: "
    "use AddIndexConcurrently in a migration with atomic = False"
)
CONSTRAINT_LOCKS_TABLE = (
    "adds a constraint to an existing table, checking every row under an exclusive lock: "
    "use AddConstraintNotValid then ValidateConstraint for a check, or review"
)
IRREVERSIBLE_PYTHON = (
    "RunPython without reverse_code cannot be rolled back: "
    "pass reverse_code (migrations.RunPython.noop if undoing needs nothing)"
)
IRREVERSIBLE_SQL = (
    "RunSQL without reverse_sql cannot be rolled back: "
    "pass reverse_sql (migrations.RunSQL.noop if undoing needs nothing)"
)
REVIEW_WITHOUT_REASON = "reviewed_unsafe entry without a reason: say why this operation is safe in this migration"
REVIEW_UNUSED = "reviewed_unsafe names an operation this migration does not flag: remove the entry"


@dataclass(frozen=True)
class Finding:
    app_label: str
    migration: str
    operation: str
    message: str
    target: str = ""

    def __str__(self) -> str:
        return f"{self.app_label}.{self.migration}: {self.target or self.operation} {self.message}"


def migration_findings(migration: Migration, state: ProjectState) -> list[Finding]:
    """Unsafe operations of one migration, given the project state before it."""
    app_label, name = migration.app_label, migration.name
    unsafe = [
        Finding(app_label, name, type(operation).__name__, message, operation.describe())
        for operation, message in _check_operations(app_label, migration.operations, state.clone(), created=set())
    ]
    reviewed = getattr(migration, REVIEWED_ATTRIBUTE, {})
    findings = []
    for finding in unsafe:
        reason = reviewed.get(finding.operation)
        if reason is None:
            findings.append(finding)
        elif not isinstance(reason, str) or not reason.strip():
            findings.append(Finding(app_label, name, finding.operation, REVIEW_WITHOUT_REASON, finding.target))
    flagged = {finding.operation for finding in unsafe}
    findings.extend(
        Finding(app_label, name, operation, REVIEW_UNUSED) for operation in reviewed if operation not in flagged
    )
    return findings


def project_findings(loader: MigrationLoader | None = None) -> list[Finding]:
    """Unsafe operations in the migrations of the project's own apps (not Django's or libraries')."""
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    findings = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if not _is_project_app(app_label):
            continue
        state = loader.project_state((app_label, name), at_end=False)
        findings.extend(migration_findings(migration, state))
    return findings


def _is_project_app(app_label: str) -> bool:
    try:
        return django_apps.get_app_config(app_label).name.startswith(PROJECT_APPS_PREFIX)
    except LookupError:
        return False


def _check_operations(
    app_label: str, operations: Sequence[Operation], state: ProjectState, created: set[str]
) -> Iterable[tuple[Operation, str]]:
    # `state` moves forward operation by operation, so each one is judged against
    # the table as it is just before it runs.
    for operation in operations:
        if isinstance(operation, ops.SeparateDatabaseAndState):
            # Only the database half touches tables; the state half is bookkeeping.
            yield from _check_operations(app_label, operation.database_operations, state.clone(), set(created))
        else:
            message = _judge(app_label, operation, state, created)
            if message:
                yield operation, message
        if isinstance(operation, ops.CreateModel):
            created.add(operation.name_lower)
        operation.state_forwards(app_label, state)


def _judge(app_label: str, operation: Operation, state: ProjectState, created: set[str]) -> str | None:
    if isinstance(operation, ops.RunPython):
        return None if operation.reversible else IRREVERSIBLE_PYTHON
    if isinstance(operation, ops.RunSQL):
        return None if operation.reversible else IRREVERSIBLE_SQL
    model = getattr(operation, "model_name_lower", None) or getattr(operation, "name_lower", None)
    if model in created:
        return None
    if isinstance(operation, ops.RemoveField):
        return DROPS_COLUMN
    if isinstance(operation, ops.DeleteModel):
        return DROPS_TABLE
    if isinstance(operation, ops.RenameField):
        return RENAMES_COLUMN
    if isinstance(operation, ops.RenameModel | ops.AlterModelTable):
        return RENAMES_TABLE
    if isinstance(operation, ops.AddField):
        return NOT_NULL_COLUMN if _is_not_null_without_db_default(operation.field) else None
    if isinstance(operation, ops.AlterField):
        before = state.models[app_label, operation.model_name_lower].fields.get(operation.name)
        return SETS_NOT_NULL if before is not None and before.null and not operation.field.null else None
    if isinstance(operation, ops.AddIndex):
        return None if isinstance(operation, AddIndexConcurrently) else INDEX_LOCKS_WRITES
    if isinstance(operation, ops.AddConstraint):
        return None if isinstance(operation, AddConstraintNotValid) else CONSTRAINT_LOCKS_TABLE
    if isinstance(operation, ops.AlterUniqueTogether):
        before = state.models[app_label, operation.name_lower].options.get("unique_together", set())
        added = set(operation.option_value or ()) - {tuple(fields) for fields in before}
        return CONSTRAINT_LOCKS_TABLE if added else None
    return None


def _is_not_null_without_db_default(field: models.Field) -> bool:
    # A Python-side `default` only fills the rows that exist: Django drops the
    # column default right after adding it, so the old release's INSERTs, which
    # do not name the column, fail. `db_default` stays in the database.
    if field.many_to_many or field.generated or field.null:
        return False
    return field.db_default is models.NOT_PROVIDED
