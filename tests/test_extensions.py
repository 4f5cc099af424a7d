"""The template's Jinja filters.

`pystr` and `tomlstr`: free text pasted into generated Python and TOML stays valid.
`answer_filters`: answers are written the way the pre-generation hook's rules say.
"""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import answer_filters
from local_extensions import pystr
from tests.harness.rendered import rendered_text_files
from tests.harness.template import PROJECT_TEMPLATE
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


@pytest.mark.parametrize(
    ("value", "written"),
    [("utc", "UTC"), ("Europe/Berlin", "Europe/Berlin"), ("Nowhere/Land", "Nowhere/Land")],
)
def test_timezone_filter_writes_the_iana_spelling(value: str, written: str) -> None:
    assert answer_filters.canonical_timezone(value) == written


@pytest.mark.parametrize(
    ("value", "written"), [("v1", "1"), ("1.0-RC1", "1.0rc1"), ("0.1.0", "0.1.0"), ("one", "one")]
)
def test_version_filter_writes_the_pep_440_normal_form(value: str, written: str) -> None:
    assert answer_filters.canonical_version(value) == written


def test_filters_follow_the_hook_file_they_sit_next_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # cruft keeps this module from the old template while rendering the new one:
    # the rules must come from the hook file as it is now, not as it was at import.
    hook = tmp_path / "pre_gen_project.py"
    hook.write_text("def canonical_version(value):\n    return 'from-the-new-hook'\n")
    monkeypatch.setattr(answer_filters, "PRE_GEN_HOOK", hook)

    assert answer_filters.canonical_version("1.0") == "from-the-new-hook"


@pytest.mark.parametrize(("answer", "rule"), [("timezone", "canonical_timezone"), ("version", "canonical_version")])
def test_every_use_of_a_loose_answer_goes_through_its_filter(answer: str, rule: str) -> None:
    uses = re.compile(rf"cookiecutter\.{answer}\b(?!\s*\|\s*{rule}\b)")
    unfiltered = [
        str(path.relative_to(PROJECT_TEMPLATE))
        for path in rendered_text_files(PROJECT_TEMPLATE)
        if uses.search(path.read_text())
    ]

    assert unfiltered == []
