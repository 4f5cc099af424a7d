"""Each Python a project may declare, installed and checked on that Python.

The rest of the suite runs every bake in one shared virtualenv made with the Python
running pytest, so a bake that pins another version in its Dockerfile and CI is never
run on it there. Here each offered version but the running one (with the template's
3.11 .venv: 3.12 and 3.13) gets a virtualenv of its own interpreter, cached like the
shared one, and the checks a team would run first.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.harness.process import missing, run
from tests.harness.template import TEMPLATE_DIR, bake
from tests.harness.venvs import find_python, project_venv

MISSING_PYTHON = "python{version} is not installed (looked on PATH and under ~/.pyenv/versions)"

RUNNING = "{}.{}".format(*sys.version_info[:2])
OTHER_PYTHONS = [
    version
    for version in json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["python_version"]
    if version != RUNNING
]

# What each bake must pass, run with its own virtualenv's python.
CHECKS = {
    "ruff-check": ["-m", "ruff", "check", "--no-cache", "."],
    "ruff-format": ["-m", "ruff", "format", "--check", "--no-cache", "."],
    "mypy": ["-m", "mypy", "."],
    "django-check": ["manage.py", "check", "--fail-level", "WARNING"],
    "migrations": ["manage.py", "makemigrations", "--check", "--dry-run"],
    "generated-suite": ["-m", "pytest", "-q", "-p", "no:cacheprovider"],
}


@pytest.fixture(scope="module", params=OTHER_PYTHONS)
def declared(request, tmp_path_factory) -> tuple[str, Path, Path]:
    """(version, baked project, its virtualenv's python) for a default bake declaring ``version``."""
    version = request.param
    interpreter = find_python(version)
    if interpreter is None:
        missing(MISSING_PYTHON.format(version=version))
    project = bake(tmp_path_factory.mktemp(f"python{version}"), {"python_version": version})
    return version, project, project_venv(interpreter)


def test_virtualenv_runs_the_declared_python(declared: tuple[str, Path, Path]) -> None:
    """The bake's answer reached its Dockerfile, and its virtualenv really runs that Python, not the suite's."""
    version, project, python = declared
    assert f"FROM python:{version}-slim" in (project / "Dockerfile").read_text()

    result = run([str(python), "-c", "import sys; print(sys.version_info[:2])"], cwd=project)

    assert result.stdout.strip() == str(tuple(int(part) for part in version.split(".")))


@pytest.mark.parametrize(
    "check", [pytest.param(name, marks=pytest.mark.heavy(1)) if name == "generated-suite" else name for name in CHECKS]
)
def test_passes_on_the_declared_python(declared: tuple[str, Path, Path], check: str) -> None:
    """A 3.13 bake is only proven on 3.13: its pins install there, and lint, types, Django and its tests pass."""
    _, project, python = declared

    result = run([str(python), *CHECKS[check]], cwd=project)

    if check == "generated-suite":
        assert re.search(r"\d+ passed", result.stdout)
        assert "failed" not in result.stdout
