"""The `pystr` and `tomlstr` filters: free text pasted into generated Python and TOML stays valid."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from local_extensions import pystr
from toml_literals import tomlstr

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
    "AT&T <b>bold</b> \x7f delete",
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


@pytest.mark.parametrize("text", HOSTILE)
def test_toml_string_reads_back_as_the_text(text: str) -> None:
    assert tomllib.loads(f"value = {tomlstr(text)}")["value"] == text


def test_toml_string_keeps_readable_characters_as_they_are() -> None:
    assert tomlstr("It's AT&T's — Zoë 🎉") == "\"It's AT&T's — Zoë 🎉\""
