"""The `pystr` filter: free text pasted into generated Python stays valid and ruff-formatted."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from local_extensions import pystr

HOSTILE = [
    "",
    "plain",
    "O'Brien",
    'Say "hi"',
    'O\'Brien "Quotes" \\ Co',
    "both ' and \" and ''",
    'two "" one \'',
    "back\\slash at end\\",
    "new\nline\ttab",
    "Zoë, 東京, emoji 🎉",
    "{{ not jinja }} {% nor this %}",
    "\x00 nul and \x1b escape",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_evaluates_back_to_the_text(text: str) -> None:
    assert ast.literal_eval(pystr(text)) == text


def test_ruff_format_leaves_every_literal_alone(tmp_path: Path) -> None:
    source = tmp_path / "literals.py"
    source.write_text("".join(f"VALUE_{n} = {pystr(text)}\n" for n, text in enumerate(HOSTILE)))

    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--diff", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
