"""The generated import contracts catch what they promise to catch.

tests/test_toggles.py runs `lint-imports` on every toggle combination and expects
every contract kept. Here each contract is broken on purpose, one import at a
time, in a bake with every toggle on: `lint-imports` must fail, name the contracts
as broken and keep the others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.process import lint_imports

LAYERS = "Inside each app, imports point down the layers"
HTTP_FREE = "Services, selectors, tasks and models know nothing of HTTP"
SETTINGS = "Only settings read the environment; apps read settings through django.conf"
CORE = "apps.core depends on no other app"
CONFIG = "Apps import nothing from config"
CONTRACTS = (LAYERS, HTTP_FREE, SETTINGS, CORE, CONFIG)

# (the contracts it breaks, module that gets the import, the import)
VIOLATIONS = [
    ((LAYERS,), "apps/orders/models.py", "from apps.orders import services"),
    ((LAYERS,), "apps/orders/selectors.py", "from apps.orders import services"),
    ((HTTP_FREE,), "apps/orders/services.py", "from rest_framework.exceptions import ValidationError"),
    ((HTTP_FREE,), "apps/users/models.py", "import rest_framework_simplejwt"),
    ((SETTINGS,), "apps/users/services.py", "import environ"),
    ((SETTINGS, CONFIG), "apps/orders/selectors.py", "from config.settings import base"),
    ((SETTINGS, CONFIG), "apps/users/selectors.py", "from config.env import env"),
    ((CORE,), "apps/core/transactions.py", "from apps.users.models import User"),
    ((CONFIG,), "apps/observability/health.py", "from config import celery"),
    ((CONFIG,), "apps/api/exceptions.py", "from config.urls import urlpatterns"),
]


def contracts_checked(project: Path, python: Path) -> tuple[int, str]:
    result = lint_imports(project, python, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(("broken", "module", "statement"), VIOLATIONS, ids=[f"{m}: {s}" for _, m, s in VIOLATIONS])
def test_a_forbidden_import_breaks_its_contract(
    cookies_session, project_python: Path, broken: tuple[str, ...], module: str, statement: str
) -> None:
    # Given a fresh bake with every toggle on, and one forbidden import added
    result = cookies_session.bake(extra_context={"project_slug": "contracts"})
    project = Path(result.project_path)
    target = project / module
    target.write_text(f"{target.read_text()}{statement}  # noqa\n")

    # When the contracts are checked
    code, output = contracts_checked(project, project_python)

    # Then those contracts, and only those, are broken, and the import is named
    assert code != 0, output
    for contract in CONTRACTS:
        assert f"{contract} {'BROKEN' if contract in broken else 'KEPT'}" in output
    assert module.removesuffix(".py").replace("/", ".") in output


def test_tests_may_import_anything(cookies_session, project_python: Path) -> None:
    # Given tests that reach across every boundary the contracts draw
    result = cookies_session.bake(extra_context={"project_slug": "contracts_tests"})
    project = Path(result.project_path)
    crossing = project / "apps" / "core" / "tests" / "test_crossing.py"
    crossing.write_text(
        "import environ  # noqa\nfrom apps.orders import views  # noqa\nfrom config.settings import base  # noqa\n"
    )

    # When the contracts are checked
    code, output = contracts_checked(project, project_python)

    # Then all hold
    assert code == 0, output
    assert "0 broken" in output
