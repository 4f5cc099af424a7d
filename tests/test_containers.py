"""Compose files parsed by a real Compose implementation.

No Docker engine runs here, but `docker-compose config` (Debian's docker-compose,
installed by .ci/run) validates a file against the Compose schema and resolves
its variables without one. tests/test_bake.py checks what a parser cannot: which
services exist, loopback-only ports, the variables production insists on.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import PRODUCTION_ENV, run

BAKES = {
    "celery": {"project_slug": "compose_celery"},
    "no-celery": {"project_slug": "compose_plain", "use_celery": "no", "use_sentry": "no"},
}
PRODUCTION_VARIABLES = {name: value for name, value in PRODUCTION_ENV.items() if name != "DJANGO_SETTINGS_MODULE"}


@pytest.fixture(scope="module")
def compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    return binary


@pytest.fixture(params=list(BAKES), scope="module")
def project(request, cookies_session) -> Path:
    result = cookies_session.bake(extra_context=BAKES[request.param])
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def test_development_compose_file_is_valid(compose: str, project: Path) -> None:
    run([compose, "-f", "compose.yml", "config", "--quiet"], cwd=project)


def test_production_compose_file_is_valid_with_its_environment(compose: str, project: Path) -> None:
    run([compose, "-f", "compose.production.yml", "config", "--quiet"], cwd=project, env=PRODUCTION_VARIABLES)


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ADMIN_URL"])
def test_production_compose_file_refuses_a_missing_variable(compose: str, project: Path, missing: str) -> None:
    env = {name: value for name, value in PRODUCTION_VARIABLES.items() if name != missing}

    result = run([compose, "-f", "compose.production.yml", "config", "--quiet"], cwd=project, env=env, check=False)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr
