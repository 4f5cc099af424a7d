"""`manage.py startdomain` in real bakes: the new app is clean and green the moment it exists."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest

from tests.harness.answers import DOMAIN_BAKES
from tests.harness.process import PRODUCTION_ENV, lint_imports, run

COMMAND = Path("apps/devtools/management/commands/startdomain.py")

# Near the longest names the scaffold's lines allow (119 characters): a 29-character entity.
LONG_APP = "customer_notification_settings"


def tree_digest(root: Path) -> dict[str, str]:
    """Every file's content hash, minus what running Python and the tools leave behind."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def message(project: Path, constant: str, **values: str) -> str:
    """A refusal message as the baked command defines it, read without importing Django."""
    module = ast.parse((project / COMMAND).read_text())
    for node in module.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [constant]:
            return ast.literal_eval(node.value).format(**values)
    raise AssertionError(f"{COMMAND} defines no {constant}")


@pytest.fixture(params=list(DOMAIN_BAKES), scope="module")
def with_domain(request, cookies_session, project_python: Path) -> tuple[Path, str]:
    result = cookies_session.bake(extra_context=DOMAIN_BAKES[request.param])
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)

    created = run([str(project_python), "manage.py", "startdomain", "invoices"], cwd=project)
    run([str(project_python), "manage.py", "startdomain", LONG_APP], cwd=project)

    return project, created.stdout


def test_the_new_app_is_registered_and_reported(with_domain: tuple[Path, str]) -> None:
    project, output = with_domain
    has_api = (project / "config" / "api_v1.py").exists()

    local_apps = f'    "apps.invoices",\n    "apps.{LONG_APP}",\n]'
    assert local_apps in (project / "config" / "settings" / "base.py").read_text()
    assert (project / "apps" / "invoices" / "views.py").exists() is has_api
    assert (project / "apps" / "invoices" / "urls.py").exists() is has_api
    assert (project / "apps" / "invoices" / "serializers.py").exists() is has_api
    if has_api:
        assert 'path("", include("apps.invoices.urls"))' in (project / "config" / "api_v1.py").read_text()
        assert "Registered its API at invoices/" in output
    else:
        assert "no REST API: no serializers, views or URLs were created" in output
        assert "invoices" not in (project / "config" / "urls.py").read_text()


@pytest.mark.heavy(1)
def test_the_project_stays_lint_type_and_contract_clean(with_domain: tuple[Path, str], project_python: Path) -> None:
    project, _ = with_domain
    python = str(project_python)

    run([python, "-m", "ruff", "check", "--no-cache", "."], cwd=project)
    run([python, "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=project)
    run([python, "-m", "mypy", "."], cwd=project)
    lint_imports(project, project_python)


def test_django_checks_and_migrations_stay_clean(with_domain: tuple[Path, str], project_python: Path) -> None:
    project, _ = with_domain
    manage = [str(project_python), "manage.py"]

    run([*manage, "check", "--fail-level", "WARNING"], cwd=project)
    run([*manage, "makemigrations", "--check", "--dry-run"], cwd=project)
    deploy = run([*manage, "check", "--deploy", "--fail-level", "WARNING"], cwd=project, env=PRODUCTION_ENV)
    assert "System check identified no issues" in deploy.stdout


@pytest.mark.heavy(1)
def test_the_new_apps_own_tests_pass(with_domain: tuple[Path, str], project_python: Path) -> None:
    project, _ = with_domain

    result = run(
        [str(project_python), "-m", "pytest", "-q", "-p", "no:randomly", "apps/invoices", f"apps/{LONG_APP}"],
        cwd=project,
    )

    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout
    assert "skipped" not in result.stdout


def test_a_second_run_is_refused_and_changes_nothing(with_domain: tuple[Path, str], project_python: Path) -> None:
    project, _ = with_domain
    before = tree_digest(project)

    again = run([str(project_python), "manage.py", "startdomain", "invoices"], cwd=project, check=False)

    assert again.returncode == 1
    assert again.stderr.strip() == f"CommandError: {message(project, 'MSG_APP_EXISTS', name='invoices')}"
    assert tree_digest(project) == before


@pytest.mark.parametrize(
    ("name", "constant"),
    [("Bad-Name", "MSG_NOT_IDENTIFIER"), ("json", "MSG_SHADOWS_STDLIB"), ("users", "MSG_APP_EXISTS")],
)
def test_a_bad_name_is_refused_and_changes_nothing(
    with_domain: tuple[Path, str], project_python: Path, name: str, constant: str
) -> None:
    project, _ = with_domain
    before = tree_digest(project)

    refused = run([str(project_python), "manage.py", "startdomain", name], cwd=project, check=False)

    assert refused.returncode == 1
    assert refused.stderr.strip() == f"CommandError: {message(project, constant, name=name)}"
    assert tree_digest(project) == before


def test_a_failing_makemigrations_is_undone(with_domain: tuple[Path, str], project_python: Path) -> None:
    project, _ = with_domain
    # Settings under which makemigrations cannot write the app's migration: its package is to be
    # created under a top-level package that does not exist.
    broken = project / "config" / "settings" / "nowhere_migrations.py"
    broken.write_text('from .test import *  # noqa: F403\n\nMIGRATION_MODULES = {"refunds": "nowhere.migrations"}\n')
    try:
        before = tree_digest(project)
        command = ["manage.py", "startdomain", "refunds", "--settings", "config.settings.nowhere_migrations"]
        refused = run([str(project_python), *command], cwd=project, check=False)
        after = tree_digest(project)
    finally:
        broken.unlink()

    assert refused.returncode == 1
    failed = message(project, "MSG_MAKEMIGRATIONS_FAILED", app="refunds", output="")
    assert refused.stderr.startswith(f"CommandError: {failed}")
    assert "nowhere.migrations" in refused.stderr
    assert after == before
