"""The template itself: where it lives, its hooks as modules, and `bake()`, the one way the harness renders it."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

TEMPLATE_DIR = Path(__file__).resolve().parents[2]
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
HOOKS_DIR = TEMPLATE_DIR / "hooks"
CACHE_DIR = Path(os.environ.get("TEMPLATE_TEST_CACHE", TEMPLATE_DIR / ".cache"))


def load_hook(name: str) -> ModuleType:
    """Import a hook as a module: its Jinja sits only inside main(), so it parses as is."""
    spec = importlib.util.spec_from_file_location(name, HOOKS_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bake(output_dir: Path, answers: Mapping[str, str]) -> Path:
    """Render the template with cookiecutter's API (hooks included); return the project directory.

    ``answers``: an answer set (tests/harness/answers.py), or the few answers a test needs.
    A person's ~/.cookiecutterrc is ignored, so it cannot change what the tests bake.
    """
    from cookiecutter.main import cookiecutter

    project = cookiecutter(
        str(TEMPLATE_DIR), no_input=True, output_dir=str(output_dir), extra_context=dict(answers), default_config=True
    )
    return Path(project)


@dataclass(frozen=True)
class Baked:
    """One bake as a test sees it: the project, or why there is none (exit code -1)."""

    project_path: Path | None
    exception: Exception | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.exception is None else -1


class Bakery:
    """`bake()` into numbered folders of one directory, for the session's test modules.

    Handed out by the `cookies_session` fixture (tests/conftest.py); the fixture and
    ``bake(extra_context=...)`` keep the names pytest-cookies gave them, which this replaced.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def bake(self, extra_context: Mapping[str, str] | None = None) -> Baked:
        output_dir = self.root / f"bake{self.count:02d}"
        self.count += 1
        try:
            return Baked(bake(output_dir, extra_context or {}))
        except Exception as error:  # a failing hook or template: the test asserts on it
            return Baked(None, error)
