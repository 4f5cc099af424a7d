"""Zero-downtime migration rules, checked by a machine instead of remembered.

A deploy migrates the database while the previous release is still serving
requests, so every migration must work with the code before it as well as the
code after it. This module reads the project's own migrations (apps under
``apps/``) and reports the operations that break the running release, or that
lock or rewrite a busy table on PostgreSQL for longer than a moment.
``apps/devtools/tests/test_migration_safety.py`` runs it in the test suite, so CI
fails on an unsafe migration. It reads the operations, not the database, so it
needs no connection; the rules are PostgreSQL's, the only production database.

An operation that is unsafe in general but fine in one migration (the column
has been unused for a release, the table has a hundred rows) is accepted when
the ``Migration`` class names it, with the reason, in ``reviewed_unsafe``::

    class Migration(migrations.Migration):
        reviewed_unsafe = {"RemoveField": "User.nickname unused since release 1.4"}

Operations on a model created earlier in the same migration are always safe:
no released code knows that table yet.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import models
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models.functions import Cast, Now

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
CHANGES_COLUMN_TYPE = (
    "changes a column's type or collation in a way PostgreSQL cannot do in place: it rewrites the table "
    "(or checks every row) under an exclusive lock that blocks reads and writes; add a new column and move "
    "the data over separate releases, or review (a longer varchar or numeric, or varchar to text, is not flagged)"
)
VOLATILE_DEFAULT = (
    "adds a column to an existing table with a db_default that is not a constant or Now(): a volatile "
    "expression (random(), gen_random_uuid()) rewrites the table under an exclusive lock; "
    "add the column nullable and backfill it in batches, or review if the expression is stable"
)
STORED_GENERATED_COLUMN = (
    "adds a stored generated column to an existing table: PostgreSQL computes it for every row, rewriting "
    "the table under an exclusive lock; add a plain nullable column and backfill it in batches, or review"
)
INDEX_LOCKS_WRITES = (
    "builds an index on an existing table while blocking its writes: "
    "use AddIndexConcurrently in a migration with atomic = False "
    "(for a field: db_index=False, and the index in Meta.indexes)"
)
UNIQUE_LOCKS_TABLE = (
    "adds a unique (or exclusion) constraint to an existing table: PostgreSQL builds its index while "
    "blocking writes (and reads, for ALTER TABLE … ADD CONSTRAINT); build a unique index concurrently "
    "and attach it (see the migrations guide), or review"
)
CONSTRAINT_LOCKS_TABLE = (
    "adds a constraint to an existing table, checking every row under an exclusive lock: "
    "use AddConstraintNotValid then ValidateConstraint for a check, or review"
)
FOREIGN_KEY_CHECKS_ROWS = (
    "adds a foreign key constraint to an existing column: PostgreSQL checks every row while blocking writes "
    "to both tables; add it NOT VALID and validate it in a later migration (see the migrations guide), or review"
)
SQL_LOCKS_TABLE = (
    "runs SQL that holds a table lock blocking reads and writes for as long as it works "
    "(VACUUM FULL, CLUSTER, LOCK TABLE, REINDEX without CONCURRENTLY): review"
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

# Hand-written SQL is read statement by statement, after its comments are removed.
# Each rule is the SQL form of an operation rule above.
_ALTER_TABLE = r"^ALTER\s+TABLE\b.*"
SQL_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE | re.DOTALL), message)
    for pattern, message in (
        (r"^CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)", INDEX_LOCKS_WRITES),
        (
            _ALTER_TABLE + r"\bADD\s+(CONSTRAINT\s+\S+\s+)?(CHECK|FOREIGN\s+KEY)\b(?!.*\bNOT\s+VALID\b)",
            CONSTRAINT_LOCKS_TABLE,
        ),
        (
            _ALTER_TABLE + r"\bADD\s+(CONSTRAINT\s+\S+\s+)?(UNIQUE|PRIMARY\s+KEY|EXCLUDE)\b(?!.*\bUSING\s+INDEX\b)",
            UNIQUE_LOCKS_TABLE,
        ),
        (_ALTER_TABLE + r"\bSET\s+NOT\s+NULL\b", SETS_NOT_NULL),
        (_ALTER_TABLE + r"\bALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b", CHANGES_COLUMN_TYPE),
        (_ALTER_TABLE + r"\bDROP\s+COLUMN\b", DROPS_COLUMN),
        (r"^DROP\s+TABLE\b", DROPS_TABLE),
        (_ALTER_TABLE + r"\bRENAME\s+TO\b", RENAMES_TABLE),
        (_ALTER_TABLE + r"\bRENAME\s+(COLUMN\s+)?(?!CONSTRAINT\b|TO\b)\S+\s+TO\b", RENAMES_COLUMN),
        (r"^(VACUUM\b.*\bFULL\b|CLUSTER\b|LOCK\b|REINDEX\b(?!.*\bCONCURRENTLY\b))", SQL_LOCKS_TABLE),
    )
)
_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)

# Column types are compared as PostgreSQL spells them. Building a connection
# object opens no connection: it only lends its type names.
_POSTGRESQL = PostgreSQLDatabaseWrapper({"ENGINE": "django.db.backends.postgresql", "NAME": "", "OPTIONS": {}})
_VARCHAR = re.compile(r"varchar\((\d+)\)")
_NUMERIC = re.compile(r"numeric\((\d+), ?(\d+)\)")
_UNBOUNDED_TEXT = {"text", "varchar"}
# Expressions PostgreSQL evaluates once for an ADD COLUMN default (constant or stable).
_CONSTANT_EXPRESSIONS = (models.Value, Now, Cast)


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


def sql_findings(sql: str) -> list[str]:
    """What the rules say about hand-written SQL, one message per statement and rule."""
    statements = _SQL_COMMENTS.sub(" ", sql).split(";")
    return [message for statement in statements for rule, message in SQL_RULES if rule.search(statement.strip())]


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
            for message in _judge(app_label, operation, state, created):
                yield operation, message
        if isinstance(operation, ops.CreateModel):
            created.add(operation.name_lower)
        operation.state_forwards(app_label, state)


def _judge(app_label: str, operation: Operation, state: ProjectState, created: set[str]) -> list[str]:
    if isinstance(operation, ops.RunPython):
        return [] if operation.reversible else [IRREVERSIBLE_PYTHON]
    if isinstance(operation, ops.RunSQL):
        return ([] if operation.reversible else [IRREVERSIBLE_SQL]) + sql_findings(_sql_text(operation.sql))
    model = getattr(operation, "model_name_lower", None) or getattr(operation, "name_lower", None)
    if model in created:
        return []
    if isinstance(operation, ops.RemoveField):
        return [DROPS_COLUMN]
    if isinstance(operation, ops.DeleteModel):
        return [DROPS_TABLE]
    if isinstance(operation, ops.RenameField):
        return [RENAMES_COLUMN]
    if isinstance(operation, ops.RenameModel | ops.AlterModelTable):
        return [RENAMES_TABLE]
    if isinstance(operation, ops.AddField):
        return _judge_new_column(operation.field)
    if isinstance(operation, ops.AlterField):
        before = state.models[app_label, operation.model_name_lower].fields.get(operation.name)
        return [] if before is None else _judge_changed_column(before, operation.field)
    if isinstance(operation, ops.AddIndex):
        return [] if isinstance(operation, AddIndexConcurrently) else [INDEX_LOCKS_WRITES]
    if isinstance(operation, ops.AddConstraint):
        if isinstance(operation, AddConstraintNotValid):
            return []
        constraint = operation.constraint  # type: ignore[attr-defined]  # missing from django-stubs
        return [CONSTRAINT_LOCKS_TABLE if isinstance(constraint, models.CheckConstraint) else UNIQUE_LOCKS_TABLE]
    if isinstance(operation, ops.AlterUniqueTogether | ops.AlterIndexTogether):
        before = state.models[app_label, operation.name_lower].options.get(operation.option_name, set())
        added = {tuple(fields) for fields in operation.option_value or ()} - {tuple(fields) for fields in before}
        if not added:
            return []
        return [UNIQUE_LOCKS_TABLE if isinstance(operation, ops.AlterUniqueTogether) else INDEX_LOCKS_WRITES]
    if isinstance(operation, ops.AlterOrderWithRespectTo):
        # The `_order` column: added NOT NULL with a default Django drops again, or dropped.
        had_order = state.models[app_label, operation.name_lower].options.get("order_with_respect_to")
        if bool(had_order) == bool(operation.order_with_respect_to):
            return []
        return [DROPS_COLUMN] if had_order else [NOT_NULL_COLUMN]
    return []


def _judge_new_column(field: models.Field) -> list[str]:
    if field.many_to_many:
        return []  # a new table
    messages = []
    if field.generated:
        messages.append(STORED_GENERATED_COLUMN)
    elif not field.null and field.db_default is models.NOT_PROVIDED:
        # A Python-side `default` only fills the rows that exist: Django drops the
        # column default right after adding it, so the old release's INSERTs, which
        # do not name the column, fail. `db_default` stays in the database.
        messages.append(NOT_NULL_COLUMN)
    if field.db_default is not models.NOT_PROVIDED and not _is_constant(field.db_default):
        messages.append(VOLATILE_DEFAULT)
    if field.unique:
        messages.append(UNIQUE_LOCKS_TABLE)
    elif _declares_index(field):
        # A ForeignKey is indexed unless told otherwise; its constraint costs nothing
        # on a new column, which holds only NULLs.
        messages.append(INDEX_LOCKS_WRITES)
    return messages


def _judge_changed_column(before: models.Field, after: models.Field) -> list[str]:
    if before.many_to_many or after.many_to_many:
        return []  # no column
    messages = []
    if _changes_column_type(before, after):
        messages.append(CHANGES_COLUMN_TYPE)
    if before.null and not after.null:
        messages.append(SETS_NOT_NULL)
    if after.unique and not before.unique:
        messages.append(UNIQUE_LOCKS_TABLE)
    elif _has_plain_index(after) and not _has_plain_index(before):
        messages.append(INDEX_LOCKS_WRITES)
    if _adds_foreign_key(before, after):
        messages.append(FOREIGN_KEY_CHECKS_ROWS)
    return messages


def _changes_column_type(before: models.Field, after: models.Field) -> bool:
    if before.is_relation or after.is_relation:
        # A foreign key column takes the type of the key it points to.
        return _relation_target(before) != _relation_target(after)
    if getattr(before, "db_collation", None) != getattr(after, "db_collation", None):
        return True
    old, new = before.db_type(_POSTGRESQL), after.db_type(_POSTGRESQL)
    return old != new and not _is_widening(old or "", new or "")


def _is_widening(old: str, new: str) -> bool:
    # The type changes PostgreSQL makes in the catalog only, without touching a row.
    if new in _UNBOUNDED_TEXT:
        return old in _UNBOUNDED_TEXT or bool(_VARCHAR.fullmatch(old))
    if (old_varchar := _VARCHAR.fullmatch(old)) and (new_varchar := _VARCHAR.fullmatch(new)):
        return int(new_varchar[1]) >= int(old_varchar[1])
    if (old_numeric := _NUMERIC.fullmatch(old)) and (new_numeric := _NUMERIC.fullmatch(new)):
        return old_numeric[2] == new_numeric[2] and int(new_numeric[1]) >= int(old_numeric[1])
    return False


def _declares_index(field: models.Field) -> bool:
    # Every field has db_index (True by default on a ForeignKey); django-stubs knows it on subclasses only.
    return bool(getattr(field, "db_index", False))


def _has_plain_index(field: models.Field) -> bool:
    # A unique column is indexed by its constraint; db_index adds nothing to it.
    return _declares_index(field) and not field.unique


def _relation_target(field: models.Field) -> str | None:
    if not field.is_relation or field.remote_field is None:
        return None
    return f"{field.remote_field.model}".lower() + f".{getattr(field, 'to_fields', None) or ''}"


def _adds_foreign_key(before: models.Field, after: models.Field) -> bool:
    if not (after.is_relation and getattr(after, "db_constraint", False)):
        return False
    had_constraint = before.is_relation and getattr(before, "db_constraint", False)
    return not had_constraint or _relation_target(before) != _relation_target(after)


def _is_constant(expression: object) -> bool:
    if not hasattr(expression, "resolve_expression"):
        return True  # a plain value, such as db_default=""
    if not isinstance(expression, _CONSTANT_EXPRESSIONS):
        return False
    return all(_is_constant(source) for source in expression.get_source_expressions() if source is not None)


def _sql_text(sql: str | Sequence[str | tuple[str, object]]) -> str:
    # RunSQL takes a string, or a list of strings and (sql, params) pairs.
    if isinstance(sql, str):
        return sql
    return ";".join(item if isinstance(item, str) else item[0] for item in sql)
