"""Shared plumbing for the template's tests: baking, a clean environment, subprocesses."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
HOOKS_DIR = TEMPLATE_DIR / "hooks"
CACHE_DIR = Path(os.environ.get("TEMPLATE_TEST_CACHE", TEMPLATE_DIR / ".cache"))

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
        # The generated test settings read it too: tests that want a bake's suite on Redis say so.
        and key != "TEST_REDIS_URL"
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


def lint_imports(project: Path, python: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The generated project's import contracts (`lint-imports` from ``python``'s virtualenv), uncached."""
    return run([str(python.parent / "lint-imports"), "--no-cache"], cwd=project, check=check)


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


# --- toggles: what a bake with a feature off must not contain -----------------------

post_gen = load_hook("post_gen_project")

# What a toggle that is off must leave no mention of, anywhere in the project.
TOGGLE_WORDS = {
    "use_docker": ("docker",),
    "use_celery": ("celery", "flower"),
    "use_drf": ("rest_framework", "simplejwt", "spectacular", "api/v1"),
    "include_example_app": ("orders",),
    "use_sentry": ("sentry",),
}


def answers_for(extra_context: Mapping[str, str]) -> dict[str, object]:
    """The answers cookiecutter renders with: defaults, first choices, "yes"/"no" as booleans."""
    defaults = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    answers: dict[str, object] = {}
    for name, default in defaults.items():
        if name.startswith("_"):
            continue
        given = extra_context.get(name)
        if isinstance(default, bool):
            answers[name] = default if given is None else given.lower() in {"yes", "y", "true", "1", "on"}
        elif isinstance(default, list):
            answers[name] = default[0] if given is None else given
        else:
            answers[name] = default if given is None else given
    return answers


def row_enabled(row: str | tuple[str, ...], answers: Mapping[str, object]) -> bool:
    """Whether a TOGGLED_PATHS row is kept: every condition of its key holds."""
    conditions = (row,) if isinstance(row, str) else row
    return all(post_gen.is_enabled(condition, dict(answers)) for condition in conditions)


def present_paths(root: Path, row: str | tuple[str, ...]) -> list[str]:
    """The paths of a TOGGLED_PATHS row that exist in the bake, in the row's order."""
    return [path for path in post_gen.TOGGLED_PATHS[row] if (root / path).exists()]


def toggle_mentions(root: Path, toggle: str) -> list[str]:
    """Every rendered file that still names a feature, as "path: word"."""
    mentions = []
    for path in rendered_text_files(root):
        text = path.read_text().lower()
        mentions.extend(f"{path.relative_to(root)}: {word}" for word in TOGGLE_WORDS[toggle] if word in text)
    return mentions


def interpreter_version(interpreter: str | Path) -> str:
    """``sys.version`` of an interpreter: the running one's without a subprocess."""
    if str(interpreter) == sys.executable:
        return sys.version
    command = [str(interpreter), "-c", "import sys; sys.stdout.write(sys.version)"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def find_python(version: str) -> str | None:
    """An interpreter for ``version`` ("3.13"): ``python3.13`` on PATH, else pyenv's highest 3.13.N.

    A candidate must answer as that version: a pyenv shim on PATH exists for every installed
    Python but runs only the ones pyenv has selected.
    """
    pattern = re.compile(rf"{re.escape(version)}\.\d+")
    patches = [path for path in (Path.home() / ".pyenv" / "versions").glob("*") if pattern.fullmatch(path.name)]
    highest = max(patches, key=lambda path: int(path.name.rsplit(".", 1)[1]), default=None)
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in (shutil.which(f"python{version}"), highest and highest / "bin" / f"python{version}"):
        if candidate is None or not Path(candidate).exists():
            continue
        answer = subprocess.run([str(candidate), "-c", probe], capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return str(candidate)
    return None


def requirements_digest(interpreter: str | Path = sys.executable) -> str:
    """What a project virtualenv is made of: the interpreter's exact version and every requirement file."""
    digest = hashlib.sha256(interpreter_version(interpreter).encode())
    for path in sorted((PROJECT_TEMPLATE / "requirements").glob("*.txt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def bake(output_dir: Path, answers: Mapping[str, str]) -> Path:
    """Render the template with cookiecutter's API (hooks included); return the project directory."""
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(output_dir), extra_context=dict(answers))
    )


def project_venv(interpreter: str | Path = sys.executable) -> Path:
    """One virtualenv for every baked project, installed once and reused while the pins stay the same.

    Made with ``interpreter`` (by default the Python running the tests); each interpreter
    version gets its own. Several test runs may share the cache directory: one installs,
    the others wait for it. Returns the venv's python.
    """
    venv_dir = CACHE_DIR / f"project-venv-{requirements_digest(interpreter)}"
    python = venv_dir / "bin" / "python"
    marker = venv_dir / ".installed"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / f"{venv_dir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            shutil.rmtree(venv_dir, ignore_errors=True)
            if str(interpreter) == sys.executable:
                venv.create(venv_dir, with_pip=True)
            else:  # venv.create always makes a venv of the running Python
                subprocess.run([str(interpreter), "-m", "venv", str(venv_dir)], check=True)
            with tempfile.TemporaryDirectory() as scratch:
                # Requirements with every toggle on (the defaults) are a superset of any other bake's.
                requirements = bake(Path(scratch), {"project_slug": "requirements_source"}) / "requirements"
                pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                subprocess.run(
                    [*pip, "-r", requirements / "local.txt", "-r", requirements / "production.txt"], check=True
                )
            marker.touch()
    return python


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
