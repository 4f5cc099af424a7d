"""The template itself: where it lives, its hooks as modules, and `bake()`, the one way the harness renders it."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
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


def bake(output_dir: Path, answers: Mapping[str, str]) -> Path:
    """Render the template with cookiecutter's API (hooks included); return the project directory."""
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(output_dir), extra_context=dict(answers))
    )
