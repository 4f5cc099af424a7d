"""Jinja filters that turn answers into what the project gets, by the pre-generation hook's rules.

``{{ cookiecutter.project_name | default_slug }}`` is the slug offered at the
prompt; ``{{ cookiecutter.timezone | canonical_timezone }}`` and
``{{ cookiecutter.version | canonical_version }}`` write an accepted ``utc`` as
``UTC`` and ``v1`` as ``1``. The rules live in ``hooks/pre_gen_project.py`` next to
the checks that use them; this module only hands them to Jinja.

The hook is read again at each call rather than once at import: cruft renders the
old and the new template in one process and Python keeps the first module of a
name it imported (see ``toml_literals.py``), so a rule kept here would stay the
old template's. The hook file is always the one of the template being rendered.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from jinja2 import Environment
from jinja2.ext import Extension

PRE_GEN_HOOK = Path(__file__).resolve().parent / "hooks" / "pre_gen_project.py"


def _rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pre_gen_project_rules", PRE_GEN_HOOK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_slug(project_name: object) -> str:
    return _rules().default_slug(str(project_name))


def canonical_timezone(value: object) -> str:
    """The zone as the database spells it; an unknown one unchanged (the hook has refused it already)."""
    return _rules().canonical_timezone(str(value)) or str(value)


def canonical_version(value: object) -> str:
    """The version in PEP 440's normal form; an invalid one unchanged (the hook has refused it already)."""
    return _rules().canonical_version(str(value)) or str(value)


class AnswerFilters(Extension):
    """Registers ``default_slug``, ``canonical_timezone`` and ``canonical_version``."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["default_slug"] = default_slug
        environment.filters["canonical_timezone"] = canonical_timezone
        environment.filters["canonical_version"] = canonical_version
