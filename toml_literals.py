"""The ``tomlstr`` Jinja filter, in a module of its own.

cruft renders the old and the new template in one process, and Python keeps the
first ``local_extensions`` it imported: a filter added to that module would be
missing from the new render and break every update. A released filter module is
therefore never changed; new filters go into a new one.
"""

import json

from jinja2 import Environment
from jinja2.ext import Extension


def tomlstr(value: object) -> str:
    """``value`` as a TOML basic string, with its characters written as they are.

    Jinja's ``tojson`` is not that: it writes ``'``, ``&``, ``<`` and ``>`` as
    ``\\u`` escapes, and characters beyond U+FFFF (an emoji) as surrogate pairs, which
    TOML refuses ("not a Unicode scalar value"), breaking every tool that reads
    pyproject.toml. JSON's escapes for quotes, backslashes and control characters
    are TOML's too, except that TOML also wants DEL escaped.
    """
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")


class TomlLiterals(Extension):
    """Registers ``tomlstr``: ``description = {{ cookiecutter.description | tomlstr }}``."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["tomlstr"] = tomlstr
