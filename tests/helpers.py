"""Shared plumbing for the template's tests: baking, a clean environment, subprocesses."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
HOOKS_DIR = TEMPLATE_DIR / "hooks"

UNRENDERED = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")

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
}


def load_hook(name: str) -> ModuleType:
    """Import a hook as a module: its Jinja sits only inside main(), so it parses as is."""
    spec = importlib.util.spec_from_file_location(name, HOOKS_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment minus anything Django or the project would read."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "SENTRY_", "PYTEST_", "COV_"))
    }
    env["DJANGO_READ_DOT_ENV_FILE"] = "false"
    env.update(extra or {})
    return env


def run(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
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


def rendered_text_files(root: Path) -> list[Path]:
    """Files cookiecutter rendered (Django HTML templates are copied raw on purpose)."""
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix == ".html" or "__pycache__" in path.parts:
            continue
        try:
            path.read_text()
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def unrendered_jinja(root: Path) -> list[str]:
    problems = []
    for path in rendered_text_files(root):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if UNRENDERED.search(line):
                problems.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return problems
