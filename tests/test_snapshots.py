"""Golden snapshots: what each preset in tests/harness/answers.py renders, committed under tests/snapshots/.

A template change shows up in the diff of a pull request as the change it makes to
real projects, not only as a change to Jinja. For each preset the snapshot holds
`tree.txt` (every rendered file path) and a verbatim copy of each key file the preset
renders, named `<path>.snap` so no tool mistakes the copies for live code (ruff
linting `tests/`, dependency scanners reading `requirements/*.txt`, nested
`pyproject.toml` configs).

A mismatch fails with a unified diff. `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites
the folder from fresh renders instead of comparing, removing the files of key files
and presets that no longer exist, so the folder always equals a fresh render.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.harness.answers import PRESETS
from tests.harness.template import TEMPLATE_DIR

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS", "").lower() in {"1", "true", "yes"}

TREE = "tree.txt"
SUFFIX = ".snap"
# Where toggles change the most, and what a reviewer most needs to see change.
KEY_FILES = (
    "config/settings/base.py",
    "config/settings/production.py",
    "config/urls.py",
    "requirements/base.in",  # the declarations; the locks are long, and tests/test_locks.py checks them
    "requirements/production.in",
    "pyproject.toml",
    "Makefile",
    ".github/workflows/ci.yml",  # no preset uses GitLab CI
)

ACCEPT_COMMAND = "make snapshots"
ACCEPT_HINT = f"If the change is intended, run `{ACCEPT_COMMAND}` in the template root and commit the result."
FOLDERS_MESSAGE = "tests/snapshots/ must hold one folder per preset in tests/harness/answers.py and nothing else"


def snapshot_of(project: Path) -> dict[str, str]:
    """The snapshot a rendered project should have: file name in the snapshot folder -> content."""
    files = sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    snapshot = {TREE: "".join(f"{name}\n" for name in files)}
    for key in KEY_FILES:
        if (project / key).is_file():
            snapshot[key + SUFFIX] = (project / key).read_bytes().decode()
    return snapshot


def stored_snapshot(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes().decode()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write_snapshot(folder: Path, snapshot: Mapping[str, str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for name, content in snapshot.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode())


def mismatch_report(preset: str, stored: Mapping[str, str], rendered: Mapping[str, str]) -> str:
    """A unified diff per differing file, then how to accept it; empty when they match."""
    sections = []
    for name in sorted(stored.keys() | rendered.keys()):
        old, new = stored.get(name), rendered.get(name)
        if old == new:
            continue
        where = f"tests/snapshots/{preset}/{name}"
        if old is None:
            sections.append(f"{where}: rendered now, missing from the snapshot")
        elif new is None:
            sections.append(f"{where}: in the snapshot, no longer rendered")
        diff = difflib.unified_diff(
            (old or "").splitlines(),
            (new or "").splitlines(),
            fromfile=f"{where} (committed)",
            tofile=f"{where} (rendered)",
            lineterm="",
        )
        sections.append("\n".join(diff) or f"{where}: differs only in line endings or the final newline")
    if not sections:
        return ""
    return "\n".join([f"preset {preset!r} renders differently from its snapshot:", *sections, ACCEPT_HINT])


@pytest.fixture(scope="module")
def renders(cookies_session) -> dict[str, dict[str, str]]:
    snapshots = {}
    for preset, answers in PRESETS.items():
        result = cookies_session.bake(extra_context=answers)
        assert result.exit_code == 0, result.exception
        snapshots[preset] = snapshot_of(Path(result.project_path))
    return snapshots


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_rendered_project_matches_its_snapshot(renders: dict[str, dict[str, str]], preset: str) -> None:
    folder = SNAPSHOT_DIR / preset
    if UPDATE:
        write_snapshot(folder, renders[preset])

    report = mismatch_report(preset, stored_snapshot(folder), renders[preset])

    if report:
        pytest.fail(report, pytrace=False)


def test_snapshot_folder_holds_exactly_the_presets() -> None:
    entries = sorted(SNAPSHOT_DIR.iterdir()) if SNAPSHOT_DIR.is_dir() else []
    if UPDATE:
        for entry in entries:
            if entry.name in PRESETS and entry.is_dir():
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        entries = sorted(SNAPSHOT_DIR.iterdir())

    folders = {entry.name for entry in entries if entry.is_dir()}
    unexpected = sorted(entry.name for entry in entries if entry.name not in PRESETS or not entry.is_dir())
    missing = sorted(set(PRESETS) - folders)

    if unexpected or missing:
        pytest.fail(f"{FOLDERS_MESSAGE}: unexpected {unexpected}, missing {missing}\n{ACCEPT_HINT}", pytrace=False)


def test_every_key_file_is_rendered_by_some_preset(renders: dict[str, dict[str, str]]) -> None:
    """A key file no preset renders (a typo, a moved file) would silently never be compared."""
    snapshotted = {name.removesuffix(SUFFIX) for snapshot in renders.values() for name in snapshot}

    assert [key for key in KEY_FILES if key not in snapshotted] == []


def test_presets_spell_out_every_toggle() -> None:
    """So a preset keeps its meaning when a default in cookiecutter.json changes."""
    defaults = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    toggles = {name for name, value in defaults.items() if isinstance(value, bool)} | {"ci_tool"}

    assert {preset: sorted(toggles - set(answers)) for preset, answers in PRESETS.items()} == {
        preset: [] for preset in PRESETS
    }


def test_mismatch_report_is_a_diff_naming_preset_and_file_and_ends_with_the_command() -> None:
    stored = {TREE: "Makefile\nmanage.py\n", "Makefile.snap": "same\n"}
    rendered = {TREE: "Makefile\nmanage.py\nnew.py\n", "Makefile.snap": "same\n"}

    report = mismatch_report("full", stored, rendered)

    lines = report.splitlines()
    assert lines[0] == "preset 'full' renders differently from its snapshot:"
    assert "--- tests/snapshots/full/tree.txt (committed)" in lines
    assert "+++ tests/snapshots/full/tree.txt (rendered)" in lines
    assert "+new.py" in lines
    assert not any("Makefile.snap" in line for line in lines)
    assert lines[-1] == ACCEPT_HINT
    assert ACCEPT_COMMAND in lines[-1]
    assert mismatch_report("full", stored, stored) == ""
