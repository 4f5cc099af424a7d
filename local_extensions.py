"""Jinja filters for the template (cookiecutter loads this module from the template root)."""

import json

from jinja2 import Environment
from jinja2.ext import Extension


def pystr(value: object) -> str:
    """``value`` as a Python string literal, quoted the way ``ruff format`` would quote it.

    Free text (a project name, a description) pasted into Python must neither break
    the file nor make the format check fail: double quotes unless that needs more
    escapes than single quotes, the same rule ruff applies.
    """
    text = str(value)
    body = json.dumps(text, ensure_ascii=False)[1:-1]  # backslashes, control characters, \" escaped
    if text.count('"') > text.count("'"):
        return "'" + body.replace('\\"', '"').replace("'", "\\'") + "'"
    return '"' + body + '"'


class PythonLiterals(Extension):
    """Registers ``pystr``: ``{{ cookiecutter.project_name | pystr }}``."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["pystr"] = pystr
