"""What cookiecutter rendered: the text files of a bake, and any Jinja left in them."""

from __future__ import annotations

import re
from pathlib import Path

UNRENDERED = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")
# startdomain's scaffold is Django app templates (``*.py-tpl``), copied raw (``_copy_without_render``):
# its ``{{ }}`` are Django's, but it must not depend on the bake, so no cookiecutter variable either.
DJANGO_TEMPLATE_SUFFIX = ".py-tpl"
COOKIECUTTER_VARIABLE = re.compile(r"cookiecutter\.")


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
            pattern = COOKIECUTTER_VARIABLE if path.name.endswith(DJANGO_TEMPLATE_SUFFIX) else UNRENDERED
            if pattern.search(line):
                problems.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return problems
