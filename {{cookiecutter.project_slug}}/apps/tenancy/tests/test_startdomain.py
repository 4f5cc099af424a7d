"""startdomain in this project makes tenant-owned models, under row-level security from their migrations."""

import importlib.util
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.devtools.tests.test_startdomain import make_project
from apps.tenancy.operations import EnableRowLevelSecurity


@pytest.fixture
def project(tmp_path: Path, settings) -> Path:
    root = make_project(tmp_path, Path(settings.BASE_DIR))
    settings.BASE_DIR = root
    return root


def migration_operations(path: Path) -> list[object]:
    spec = importlib.util.spec_from_file_location("generated_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Migration.operations


def test_a_new_model_is_tenant_owned_and_its_table_under_row_level_security(project: Path) -> None:
    call_command("startdomain", "line_items")

    app = project / "apps" / "line_items"
    [operation] = migration_operations(app / "migrations" / "0002_row_level_security.py")
    assert isinstance(operation, EnableRowLevelSecurity)
    assert operation.model_name == "line_item"
    models = (app / "models.py").read_text()
    assert "class LineItem(UUIDModel, TimeStampedModel, SoftDeleteModel, TenantOwnedModel):" in models
    assert "class LineItemAdmin(TenantOwnedAdmin):" in (app / "admin.py").read_text()
    # Its tests run inside a tenant, as its views and tasks do.
    assert "with tenant_context(tenant):" in (app / "tests" / "conftest.py").read_text()
