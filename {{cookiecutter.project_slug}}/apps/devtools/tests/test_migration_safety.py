from typing import Any, cast

import pytest
from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from apps.devtools import migration_safety as ms


def existing_state(app_label: str = "shop") -> ProjectState:
    """A project where shop.Item is already a table that the running release uses."""
    state = ProjectState()
    migrations.CreateModel(
        "Item",
        fields=[
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
            ("note", models.TextField(null=True)),
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
            ms.CONSTRAINT_LOCKS_TABLE,
        ),
        (migrations.AlterUniqueTogether("item", {("name", "note")}), ms.CONSTRAINT_LOCKS_TABLE),
        (migrations.RunPython(forwards), ms.IRREVERSIBLE_PYTHON),
        (migrations.RunSQL("UPDATE shop_item SET note = ''"), ms.IRREVERSIBLE_SQL),
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
        migrations.AlterField("item", "note", models.TextField(null=True, blank=True)),
        AddIndexConcurrently("item", models.Index(fields=["name"], name="item_name_idx")),
        AddConstraintNotValid("item", models.CheckConstraint(condition=models.Q(name__gt=""), name="named")),
        migrations.AlterUniqueTogether("item", set()),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunSQL("UPDATE shop_item SET note = ''", reverse_sql=migrations.RunSQL.noop),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("item", "note")]),
    ],
    ids=lambda operation: type(operation).__name__,
)
def test_safe_operations_pass(operation: Operation) -> None:
    migration = make_migration(operation)

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
