"""Running commands for the tests: a clean environment, subprocesses, tools that may be missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import pytest

# A throw-away production environment: enough for settings to load and for
# `check --deploy` to judge the settings, never a real secret.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "template-tests-" + "k3y-" * 15,
    "DJANGO_ALLOWED_HOSTS": "example.com,localhost,127.0.0.1",
    "DJANGO_ADMIN_URL": "backstage-7f3a/",
    "DATABASE_URL": "postgres://unused:unused@127.0.0.1:9/unused",
    "REDIS_URL": "redis://127.0.0.1:9/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:9/1",
    # Read only by bakes with cloud_storage=s3 (STORAGE_ENV); signing a URL needs no store.
    "DJANGO_AWS_STORAGE_BUCKET_NAME": "template-tests-media",
    "DJANGO_AWS_S3_REGION_NAME": "us-east-1",
}
# What production requires only with cloud_storage=s3.
STORAGE_ENV = frozenset({"DJANGO_AWS_STORAGE_BUCKET_NAME", "DJANGO_AWS_S3_REGION_NAME"})


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment minus anything Django or the project would read.

    make's own variables go too: under `make test` a bake's `make` would otherwise run as
    a sub-make and print "Entering directory" lines that a person's shell never shows.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "SENTRY_", "PYTEST_", "COV_"))
        # The generated test settings read it too: tests that want a bake's suite on Redis say so.
        and key != "TEST_REDIS_URL"
        and key not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    }
    env["DJANGO_READ_DOT_ENV_FILE"] = "false"
    env.update(extra or {})
    return env


def run(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, env=clean_env(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode} in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result


def lint_imports(project: Path, python: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The generated project's import contracts (`lint-imports` from ``python``'s virtualenv), uncached."""
    return run([str(python.parent / "lint-imports"), "--no-cache"], cwd=project, check=check)


def require_services() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def missing(message: str) -> NoReturn:
    """Something a test needs is not here: skipped locally, an error in CI (which provides it)."""
    if require_services():
        pytest.fail(f"REQUIRE_SERVICES is set but {message}")
    pytest.skip(message)


def required_tool(command: str, package: str) -> str:
    """A Debian tool's path: skipped locally without it, an error in CI (which installs it)."""
    binary = shutil.which(command)
    if binary is None:
        missing(f"{command} is not installed (apt-get install -y {package})")
    return binary
