from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.helpers import PROJECT_TEMPLATE, TEMPLATE_DIR

CACHE_DIR = Path(os.environ.get("TEMPLATE_TEST_CACHE", TEMPLATE_DIR / ".cache"))


def _requirements_digest() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted((PROJECT_TEMPLATE / "requirements").glob("*.txt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def project_python(cookies_session) -> Path:
    """One virtualenv for every baked project, installed once and reused while the pins stay the same."""
    venv_dir = CACHE_DIR / f"project-venv-{_requirements_digest()}"
    python = venv_dir / "bin" / "python"
    marker = venv_dir / ".installed"
    if marker.exists():
        return python
    shutil.rmtree(venv_dir, ignore_errors=True)
    venv.create(venv_dir, with_pip=True)
    # Requirements with every toggle on are a superset of any other bake's.
    result = cookies_session.bake(extra_context={"project_slug": "requirements_source"})
    assert result.exit_code == 0, result.exception
    requirements = result.project_path / "requirements"
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements / "local.txt",
            "-r",
            requirements / "production.txt",
        ],
        check=True,
    )
    marker.touch()
    return python


def _require_services() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def _service_url(variable: str, service: str) -> str:
    """A real service started by scripts/services.sh: skipped locally without one, an error in CI."""
    url = os.environ.get(variable)
    if not url:
        if _require_services():
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
    binary = shutil.which("redis-server")
    if binary is None:
        if _require_services():
            pytest.fail("REQUIRE_SERVICES is set but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    return binary
