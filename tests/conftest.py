from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.live import create_database
from tests.harness.process import require_services, required_tool
from tests.harness.template import Bakery
from tests.harness.venvs import project_venv


@pytest.fixture(scope="session")
def cookies_session(tmp_path_factory) -> Bakery:
    """Bakes for every test module, through the harness's one `bake()` (see tests.harness.template.Bakery)."""
    return Bakery(tmp_path_factory.mktemp("cookies"))


@pytest.fixture(scope="session")
def project_python() -> Path:
    """The virtualenv every baked project runs in (see tests.harness.venvs.project_venv)."""
    return project_venv()


def _service_url(variable: str, service: str) -> str:
    """A real service started by scripts/services.sh: skipped locally without one, an error in CI."""
    url = os.environ.get(variable)
    if not url:
        if require_services():
            pytest.fail(f"REQUIRE_SERVICES is set but {variable} is not: run scripts/services.sh first")
        pytest.skip(f"no {variable}: start {service} with scripts/services.sh to run this test")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _service_url("TEST_DATABASE_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _service_url("TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def redis_server_binary() -> str:
    return required_tool("redis-server", "redis-server")


@pytest.fixture(scope="session")
def wrk() -> str:
    return required_tool("wrk", "wrk")


@pytest.fixture
def fresh_database(project_python: Path, postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards: tests may run side by side."""
    url, drop = create_database(project_python, postgres_url)
    yield url
    drop()
