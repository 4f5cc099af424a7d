from typing import Any, cast

import pytest
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models.functions import Now

from apps.devtools import migration_safety as ms


def existing_state(app_label: str = "shop") -> ProjectState:
    """A project where shop.Item is already a table that the running release uses."""
    state = ProjectState()
    migrations.CreateModel("Owner", fields=[("id", models.BigAutoField(primary_key=True))]).state_forwards(
        app_label, state
    )
    migrations.CreateModel(
        "Item",
        fields=[
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
            ("note", models.TextField(null=True)),
            ("code", models.IntegerField(default=0)),
            ("price", models.DecimalField(max_digits=10, decimal_places=2)),
            ("sku", models.CharField(max_length=20, unique=True)),
            ("owner", models.ForeignKey("shop.owner", models.CASCADE, null=True, db_constraint=False)),
        ],
    ).state_forwards(app_label, state)
    return state


def make_migration(*operations: Operation, reviewed: Any = None, app_label: str = "shop") -> Migration:
    # Built the way makemigrations writes one: operations (and any review) on the class.
    attributes: dict[str, Any] = {"operations": list(operations)}
    if reviewed is not None:
        attributes[ms.REVIEWED_ATTRIBUTE] = reviewed
    return type("Migration", (Migration,), attributes)("0002_change", app_label)


def flagged(migration: Migration) -> list[tuple[str, str]]:
    return [(finding.operation, finding.message) for finding in ms.migration_findings(migration, existing_state())]


def forwards(apps: Any, schema_editor: Any) -> None:
    """A data migration's body; never run here."""


def test_the_projects_own_migrations_are_safe() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)

    findings = ms.project_findings(loader)

    assert ("users", "0001_initial") in loader.disk_migrations
    assert [str(finding) for finding in findings] == []


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (migrations.RemoveField("item", "note"), ms.DROPS_COLUMN),
        (migrations.DeleteModel("Item"), ms.DROPS_TABLE),
        (migrations.RenameField("item", "name", "title"), ms.RENAMES_COLUMN),
        (migrations.RenameModel("Item", "Product"), ms.RENAMES_TABLE),
        (migrations.AlterModelTable("item", "shop_things"), ms.RENAMES_TABLE),
        (migrations.AddField("item", "sku", models.CharField(max_length=20)), ms.NOT_NULL_COLUMN),
        # A Python default fills the existing rows only; the old release's INSERTs still fail.
        (migrations.AddField("item", "sku", models.CharField(max_length=20, default="")), ms.NOT_NULL_COLUMN),
        (migrations.AlterField("item", "note", models.TextField()), ms.SETS_NOT_NULL),
        (migrations.AddIndex("item", models.Index(fields=["name"], name="item_name_idx")), ms.INDEX_LOCKS_WRITES),
        (
            migrations.AddConstraint("item", models.CheckConstraint(condition=models.Q(name__gt=""), name="named")),
            ms.CONSTRAINT_LOCKS_TABLE,
        ),
        (
            migrations.AddConstraint("item", models.UniqueConstraint(fields=["name"], name="unique_name")),
            ms.UNIQUE_LOCKS_TABLE,
        ),
        (
            migrations.AddConstraint(
                "item", ExclusionConstraint(name="one_name", expressions=[("name", "=")], index_type="gist")
            ),
            ms.UNIQUE_LOCKS_TABLE,
        ),
        (migrations.AlterUniqueTogether("item", {("name", "note")}), ms.UNIQUE_LOCKS_TABLE),
        (migrations.AlterIndexTogether("item", {("name", "note")}), ms.INDEX_LOCKS_WRITES),
        (migrations.RunPython(forwards), ms.IRREVERSIBLE_PYTHON),
        (migrations.RunSQL("UPDATE shop_item SET note = ''"), ms.IRREVERSIBLE_SQL),
        # A nullable foreign key: the column and its constraint are instant, the index is not.
        (
            migrations.AddField("item", "buyer", models.ForeignKey("shop.owner", models.CASCADE, null=True)),
            ms.INDEX_LOCKS_WRITES,
        ),
        (
            migrations.AddField("item", "ean", models.CharField(max_length=13, null=True, db_index=True)),
            ms.INDEX_LOCKS_WRITES,
        ),
        (
            migrations.AddField("item", "ean", models.CharField(max_length=13, null=True, unique=True)),
            ms.UNIQUE_LOCKS_TABLE,
        ),
        (migrations.AddField("item", "ref", models.UUIDField(db_default=RandomUUID())), ms.VOLATILE_DEFAULT),
        (
            migrations.AddField(
                "item",
                "double",
                models.GeneratedField(
                    expression=models.F("code") * 2, output_field=models.IntegerField(), db_persist=True
                ),
            ),
            ms.STORED_GENERATED_COLUMN,
        ),
        (migrations.AlterField("item", "name", models.CharField(max_length=50, unique=True)), ms.UNIQUE_LOCKS_TABLE),
        (migrations.AlterField("item", "name", models.CharField(max_length=50, db_index=True)), ms.INDEX_LOCKS_WRITES),
        # A unique column loses its constraint and gains a plain index, built from scratch.
        (migrations.AlterField("item", "sku", models.CharField(max_length=20, db_index=True)), ms.INDEX_LOCKS_WRITES),
        (migrations.AlterField("item", "name", models.CharField(max_length=20)), ms.CHANGES_COLUMN_TYPE),
        (migrations.AlterField("item", "note", models.CharField(max_length=100, null=True)), ms.CHANGES_COLUMN_TYPE),
        (migrations.AlterField("item", "code", models.BigIntegerField(default=0)), ms.CHANGES_COLUMN_TYPE),
        (
            migrations.AlterField("item", "price", models.DecimalField(max_digits=10, decimal_places=3)),
            ms.CHANGES_COLUMN_TYPE,
        ),
        (
            migrations.AlterField("item", "name", models.CharField(max_length=50, db_collation="C")),
            ms.CHANGES_COLUMN_TYPE,
        ),
        (
            migrations.AlterField("item", "owner", models.ForeignKey("shop.owner", models.CASCADE, null=True)),
            ms.FOREIGN_KEY_CHECKS_ROWS,
        ),
        (migrations.AlterOrderWithRespectTo("item", "owner"), ms.NOT_NULL_COLUMN),
        (
            migrations.RunSQL("CREATE INDEX item_name_idx ON shop_item (name)", migrations.RunSQL.noop),
            ms.INDEX_LOCKS_WRITES,
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Operation) else "",
)
def test_each_unsafe_operation_is_flagged(operation: Operation, message: str) -> None:
    migration = make_migration(operation)

    findings = flagged(migration)

    assert findings == [(type(operation).__name__, message)]


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("item", "sku", models.CharField(max_length=20, null=True)),
        migrations.AddField("item", "sku", models.CharField(max_length=20, db_default="")),
        migrations.AddField("item", "groups", models.ManyToManyField("auth.Group")),
        migrations.AlterField("item", "name", models.CharField(max_length=100)),
        migrations.AlterField("item", "name", models.TextField()),
        migrations.AlterField("item", "name", models.CharField()),
        migrations.AlterField("item", "price", models.DecimalField(max_digits=12, decimal_places=2)),
        migrations.AlterField("item", "note", models.TextField(null=True, blank=True)),
        migrations.AlterField("item", "sku", models.CharField(max_length=20)),
        migrations.AlterField("item", "sku", models.CharField(max_length=20, unique=True, db_index=True)),
        migrations.AlterField("item", "code", models.IntegerField(db_default=0)),
        migrations.AlterField(
            "item",
            "owner",
            models.ForeignKey("shop.owner", models.CASCADE, null=True, db_constraint=False, related_name="+"),
        ),
        migrations.AddField(
            "item", "buyer", models.ForeignKey("shop.owner", models.CASCADE, null=True, db_index=False)
        ),
        migrations.AddField("item", "added", models.DateTimeField(db_default=Now())),
        migrations.AddField("item", "rank", models.IntegerField(db_default=models.Value(1))),
        AddIndexConcurrently("item", models.Index(fields=["name"], name="item_name_idx")),
        AddConstraintNotValid("item", models.CheckConstraint(condition=models.Q(name__gt=""), name="named")),
        migrations.AlterUniqueTogether("item", set()),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunSQL("UPDATE shop_item SET note = ''", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            ["CREATE UNIQUE INDEX CONCURRENTLY item_ean ON shop_item (ean)", ("SELECT %s", [1])],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("item", "note")]),
    ],
    ids=lambda operation: type(operation).__name__,
)
def test_safe_operations_pass(operation: Operation) -> None:
    migration = make_migration(operation)

    assert flagged(migration) == []


def test_an_operation_can_break_several_rules() -> None:
    migration = make_migration(migrations.AddField("item", "buyer", models.ForeignKey("shop.owner", models.CASCADE)))

    assert flagged(migration) == [("AddField", ms.NOT_NULL_COLUMN), ("AddField", ms.INDEX_LOCKS_WRITES)]


def test_removing_order_with_respect_to_drops_its_column() -> None:
    state = existing_state()
    migrations.AlterOrderWithRespectTo("item", "owner").state_forwards("shop", state)
    migration = make_migration(migrations.AlterOrderWithRespectTo("item", None))

    findings = ms.migration_findings(migration, state)

    assert [(finding.operation, finding.message) for finding in findings] == [
        ("AlterOrderWithRespectTo", ms.DROPS_COLUMN)
    ]


@pytest.mark.parametrize(
    ("sql", "messages"),
    [
        ("CREATE INDEX item_name ON shop_item (name)", [ms.INDEX_LOCKS_WRITES]),
        ("create unique index item_name on shop_item (name)", [ms.INDEX_LOCKS_WRITES]),
        ("ALTER TABLE shop_item ADD CONSTRAINT positive CHECK (code > 0)", [ms.CONSTRAINT_LOCKS_TABLE]),
        (
            "ALTER TABLE shop_item ADD CONSTRAINT fk FOREIGN KEY (owner_id) REFERENCES shop_owner (id)",
            [ms.CONSTRAINT_LOCKS_TABLE],
        ),
        ("ALTER TABLE shop_item ADD CONSTRAINT one_name UNIQUE (name)", [ms.UNIQUE_LOCKS_TABLE]),
        ("ALTER TABLE shop_item ALTER COLUMN note SET NOT NULL", [ms.SETS_NOT_NULL]),
        ("ALTER TABLE shop_item ALTER COLUMN code TYPE bigint", [ms.CHANGES_COLUMN_TYPE]),
        ("ALTER TABLE shop_item DROP COLUMN note", [ms.DROPS_COLUMN]),
        ("DROP TABLE shop_item", [ms.DROPS_TABLE]),
        ("ALTER TABLE shop_item RENAME TO shop_product", [ms.RENAMES_TABLE]),
        ("ALTER TABLE shop_item RENAME COLUMN note TO comment", [ms.RENAMES_COLUMN]),
        ("VACUUM FULL shop_item", [ms.SQL_LOCKS_TABLE]),
        ("CLUSTER shop_item USING item_name", [ms.SQL_LOCKS_TABLE]),
        ("LOCK TABLE shop_item IN ACCESS EXCLUSIVE MODE", [ms.SQL_LOCKS_TABLE]),
        ("REINDEX TABLE shop_item", [ms.SQL_LOCKS_TABLE]),
        (
            "-- two statements, each judged\n"
            "CREATE INDEX a ON shop_item (name);\n"
            "ALTER TABLE shop_item DROP COLUMN note;",
            [ms.INDEX_LOCKS_WRITES, ms.DROPS_COLUMN],
        ),
    ],
)
def test_hand_written_sql_that_locks_or_breaks_is_flagged(sql: str, messages: list[str]) -> None:
    assert ms.sql_findings(sql) == messages


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX CONCURRENTLY item_name ON shop_item (name)",
        "ALTER TABLE shop_item ADD CONSTRAINT positive CHECK (code > 0) NOT VALID",
        "ALTER TABLE shop_item ADD CONSTRAINT fk FOREIGN KEY (owner_id) REFERENCES shop_owner (id) NOT VALID",
        "ALTER TABLE shop_item VALIDATE CONSTRAINT fk",
        "ALTER TABLE shop_item ADD CONSTRAINT one_name UNIQUE USING INDEX item_name",
        "ALTER TABLE shop_item ADD COLUMN ean varchar(13) NULL",
        "ALTER TABLE shop_item ALTER COLUMN note DROP NOT NULL",
        "ALTER TABLE shop_item DROP CONSTRAINT fk",
        "ALTER INDEX item_name RENAME TO item_title",
        "ALTER TABLE shop_item RENAME CONSTRAINT fk TO owner_fk",
        "REINDEX INDEX CONCURRENTLY item_name",
        "DROP INDEX CONCURRENTLY item_name",
        "VACUUM ANALYZE shop_item",
        "/* ALTER TABLE shop_item DROP COLUMN note */ UPDATE shop_item SET note = ''",
    ],
)
def test_hand_written_sql_that_is_safe_passes(sql: str) -> None:
    assert ms.sql_findings(sql) == []


def test_the_unique_index_pattern_of_the_migrations_guide_passes() -> None:
    migration = make_migration(
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField("item", "name", models.CharField(max_length=50, unique=True))],
            database_operations=[
                migrations.RunSQL(
                    "CREATE UNIQUE INDEX CONCURRENTLY shop_item_name_uniq ON shop_item (name)",
                    reverse_sql="DROP INDEX CONCURRENTLY shop_item_name_uniq",
                ),
                migrations.RunSQL(
                    "ALTER TABLE shop_item ADD CONSTRAINT shop_item_name_uniq UNIQUE USING INDEX shop_item_name_uniq",
                    reverse_sql="ALTER TABLE shop_item DROP CONSTRAINT shop_item_name_uniq",
                ),
            ],
        )
    )

    assert flagged(migration) == []


def test_database_half_of_separate_database_and_state_is_checked() -> None:
    migration = make_migration(
        migrations.SeparateDatabaseAndState(database_operations=[migrations.RunSQL("DROP INDEX item_name_idx")])
    )

    assert flagged(migration) == [("RunSQL", ms.IRREVERSIBLE_SQL)]


def test_a_table_created_in_the_same_migration_is_not_in_use_yet() -> None:
    migration = make_migration(
        migrations.CreateModel("Tag", fields=[("id", models.BigAutoField(primary_key=True))]),
        migrations.AddField("tag", "label", models.CharField(max_length=20)),
        migrations.AddIndex("tag", models.Index(fields=["label"], name="tag_label_idx")),
        migrations.AddConstraint("tag", models.UniqueConstraint(fields=["label"], name="unique_label")),
        migrations.AddField("tag", "owner", models.ForeignKey("shop.owner", models.CASCADE)),
        migrations.AddField("tag", "ref", models.UUIDField(db_default=RandomUUID(), unique=True)),
        migrations.AlterField("tag", "label", models.CharField(max_length=10, unique=True)),
        migrations.AlterField("tag", "owner", models.ForeignKey("shop.item", models.CASCADE)),
        migrations.RenameField("tag", "label", "title"),
        migrations.RemoveField("tag", "title"),
    )

    assert flagged(migration) == []


def test_later_operations_are_judged_against_the_state_they_see() -> None:
    # The column is made nullable first, so the second change is the one that sets NOT NULL.
    migration = make_migration(
        migrations.AlterField("item", "name", models.CharField(max_length=50, null=True)),
        migrations.AlterField("item", "name", models.CharField(max_length=50)),
    )

    assert flagged(migration) == [("AlterField", ms.SETS_NOT_NULL)]


def test_a_finding_reads_as_migration_operation_and_advice() -> None:
    (finding,) = ms.migration_findings(make_migration(migrations.RemoveField("item", "note")), existing_state())

    assert str(finding) == f"shop.0002_change: Remove field note from item {ms.DROPS_COLUMN}"


def test_a_reviewed_operation_with_a_reason_is_accepted() -> None:
    migration = make_migration(
        migrations.RemoveField("item", "note"), reviewed={"RemoveField": "Item.note unused since release 1.4"}
    )

    assert flagged(migration) == []


def test_a_review_covers_only_the_operation_it_names() -> None:
    migration = make_migration(
        migrations.RemoveField("item", "note"),
        migrations.RunPython(forwards),
        reviewed={"RemoveField": "Item.note unused since release 1.4"},
    )

    assert flagged(migration) == [("RunPython", ms.IRREVERSIBLE_PYTHON)]


@pytest.mark.parametrize("reason", ["", "   ", None, 1])
def test_a_review_needs_a_reason(reason: object) -> None:
    migration = make_migration(migrations.DeleteModel("Item"), reviewed={"DeleteModel": reason})

    findings = flagged(migration)

    # None is "no entry at all": the operation is simply not reviewed.
    expected = ms.DROPS_TABLE if reason is None else ms.REVIEW_WITHOUT_REASON
    assert findings == [("DeleteModel", expected)]


def test_a_review_of_an_operation_that_is_not_flagged_is_reported() -> None:
    migration = make_migration(
        migrations.AddField("item", "sku", models.CharField(max_length=20, null=True)),
        reviewed={"RemoveField": "left over from an earlier draft"},
    )

    assert flagged(migration) == [("RemoveField", ms.REVIEW_UNUSED)]


class StubLoader:
    """The two things project_findings reads from a MigrationLoader."""

    def __init__(self, *migrations_on_disk: Migration) -> None:
        self.disk_migrations = {(migration.app_label, migration.name): migration for migration in migrations_on_disk}

    def project_state(self, key: tuple[str, str], at_end: bool) -> ProjectState:
        return existing_state(app_label=key[0])


def test_only_the_projects_apps_are_checked() -> None:
    loader = StubLoader(
        make_migration(migrations.RemoveField("item", "note"), app_label="users"),
        make_migration(migrations.RemoveField("item", "note"), app_label="auth"),
        make_migration(migrations.RemoveField("item", "note"), app_label="not_installed"),
    )

    findings = ms.project_findings(cast(MigrationLoader, loader))

    assert [(finding.app_label, finding.message) for finding in findings] == [("users", ms.DROPS_COLUMN)]
