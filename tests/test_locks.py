"""Dependency locks: every bake installs exactly what the template locked for its answers, hash-checked.

scripts/lock.py computes one pair of locks (production.txt, local.txt) per dependency
set and offered Python into requirements/locks/; the post-generation hook keeps a
bake's pair. Checked here:

- every bake of the pairwise matrix holds exactly its pair, and the pair agrees with
  the bake's requirements/*.in: each declared package pinned at a version the
  declaration allows, with its extras, every pin hashed, local.txt at production.txt's
  versions, each transitive pin required by a pinned package (offline, fast);
- each distinct lock of the running Python installs alone in --require-hashes mode, so
  nothing a package needs is missing from it (the shared project virtualenv installs
  the superset lock for real with pip, tests/test_pythons.py the other Pythons' ones),
  and every lock pins the superset's versions;
- the committed locks are what `scripts/lock.py` makes from the declarations now
  (asks the package index; pins are kept, so only a declaration change or a release
  withdrawn from the index makes it differ).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.harness.answers import COMBINATIONS, answers_for, combination_id
from tests.harness.process import run
from tests.harness.template import PROJECT_TEMPLATE, TEMPLATE_DIR, bake, load_hook

post_gen = load_hook("post_gen_project")

LOCKS = PROJECT_TEMPLATE / post_gen.LOCKS_DIR
PYTHONS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["python_version"]
RUNNING = "{}.{}".format(*sys.version_info[:2])
DECLARATIONS = {"production.txt": "production.in", "local.txt": "local.in"}

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]*)\])?==(?P<version>\S+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


class Pin(NamedTuple):
    version: str
    extras: frozenset[str]
    hashes: int
    via: tuple[str, ...]  # the packages or files the lock says it is there for


def parse_lock(text: str) -> dict[str, Pin]:
    """A uv lock by canonical package name."""
    pins: dict[str, Pin] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match is None:
            continue
        extras = frozenset(
            canonicalize_name(extra.strip()) for extra in (match["extras"] or "").split(",") if extra.strip()
        )
        via = [line.strip(" #").removeprefix("via ").strip() for line in block.splitlines() if "#" in line]
        via_names = tuple(name for name in via if name and name != "via")
        pins[canonicalize_name(match["name"])] = Pin(match["version"], extras, len(HASH.findall(block)), via_names)
    return pins


def declared(path: Path) -> list[Requirement]:
    """The requirements an .in file declares, following its -r includes (not its -c constraints)."""
    requirements = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            requirements.extend(declared(path.parent / line.removeprefix("-r ").strip()))
        elif line and not line.startswith("-"):
            requirements.append(Requirement(line))
    return requirements


def lock_problems(requirements: Path) -> list[str]:
    """What is wrong with a project's locks, judged from its declarations alone (no index)."""
    problems = []
    locks = {name: parse_lock((requirements / name).read_text()) for name in DECLARATIONS}
    for name, pins in locks.items():
        for requirement in declared(requirements / DECLARATIONS[name]):
            pin = pins.get(canonicalize_name(requirement.name))
            if pin is None:
                problems.append(f"{name}: {requirement} is declared, not locked")
            elif not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{name}: {requirement} is declared, {pin.version} locked")
            elif {canonicalize_name(extra) for extra in requirement.extras} - pin.extras:
                problems.append(f"{name}: {requirement} is declared, its extras are not locked")
        for package, pin in pins.items():
            if pin.hashes == 0:
                problems.append(f"{name}: {package} has no hash")
            needed_by = [via for via in pin.via if via.startswith("-r ") or canonicalize_name(via) in pins]
            if not needed_by:
                problems.append(f"{name}: nothing locked needs {package} (via {', '.join(pin.via) or 'nothing'})")
    for package, pin in locks["production.txt"].items():
        local = locks["local.txt"].get(package)
        if local is None or local.version != pin.version:
            problems.append(f"local.txt: {package} is not at production.txt's {pin.version}")
    return problems


def expected_key(answers: dict[str, object]) -> str:
    return post_gen.lock_key({**answers_for(answers), "python_version": answers["python_version"]})


# --- the template's locks ------------------------------------------------------------------


def test_every_dependency_set_and_python_has_its_locks() -> None:
    expected = {
        post_gen.lock_key({"python_version": python, **dict(zip(post_gen.LOCK_TOGGLES, values, strict=True))})
        for python in PYTHONS
        for values in itertools.product((True, False), repeat=len(post_gen.LOCK_TOGGLES))
    }

    assert {folder.name for folder in LOCKS.iterdir()} == expected
    for key in expected:
        assert sorted(path.name for path in (LOCKS / key).iterdir()) == sorted(post_gen.LOCK_FILES), key


def test_a_bake_without_its_lock_fails(tmp_path: Path) -> None:
    """A dependency set the locks do not cover is a template bug: the hook says which, it does not guess."""
    (tmp_path / "requirements").mkdir()
    answers = {"python_version": "3.12", "use_celery": True, "use_drf": False, "use_sentry": False}

    with pytest.raises(FileNotFoundError, match=re.escape("no production.txt for python3.12-celery ")):
        post_gen.install_locks(tmp_path, answers)


# --- every bake of the pairwise matrix ------------------------------------------------------

# Each combination on one of the offered Pythons in turn, so every Python's locks are baked too.
MATRIX = [
    pytest.param({**combination, "python_version": python}, id=f"{combination_id(combination)}-{python}")
    for combination, python in zip(COMBINATIONS, itertools.cycle(PYTHONS), strict=False)
]


@pytest.mark.parametrize("answers", MATRIX)
def test_bake_holds_exactly_its_locks(tmp_path: Path, answers: dict[str, str]) -> None:
    requirements = bake(tmp_path, {"project_slug": "locked", **answers}) / "requirements"
    key = expected_key(answers)

    assert sorted(path.name for path in requirements.iterdir()) == sorted(
        [*DECLARATIONS.values(), "base.in", *DECLARATIONS]
    )
    for name in post_gen.LOCK_FILES:
        assert (requirements / name).read_text() == (LOCKS / key / name).read_text(), f"{name} is not {key}'s"
    assert lock_problems(requirements) == []


# --- the consistency check can fail -------------------------------------------------------

BROKEN_LOCKS = {
    "declared-not-locked": ("local.txt", r"^pytest-django==.*?(?=^\S)", ""),
    "version-outside-the-declaration": ("production.txt", r"^django==5\.2\.\d+", "django==6.0.0"),
    "extras-dropped": ("production.txt", r"^psycopg\[binary, pool\]==", "psycopg=="),
    "pin-without-hash": ("production.txt", r"(^gunicorn==\S+) \\\n(?:    --hash=\S+(?: \\)?\n)+", r"\1\n"),
    "local-not-at-production-versions": ("local.txt", r"^(gunicorn==)\S+", r"\g<1>0.1"),
    "needed-by-nothing": ("production.txt", r"\Z", "left-pad==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"),
}


@pytest.fixture(scope="module")
def default_requirements(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("lock-problems"), {"project_slug": "locked"}) / "requirements"


@pytest.mark.parametrize("case", list(BROKEN_LOCKS))
def test_lock_problems_finds_a_broken_lock(default_requirements: Path, tmp_path: Path, case: str) -> None:
    name, pattern, replacement = BROKEN_LOCKS[case]
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    for path in default_requirements.iterdir():
        requirements.joinpath(path.name).write_text(path.read_text())
    text = (requirements / name).read_text()
    broken, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE | re.DOTALL)
    assert count == 1, f"{pattern!r} is not in {name}: update this case"
    (requirements / name).write_text(broken)

    assert lock_problems(default_requirements) == []
    assert lock_problems(requirements) != []


# --- against the package index -----------------------------------------------------------


UV = Path(sys.executable).parent / "uv"
RUNNING_KEYS = sorted(key.name for key in LOCKS.glob(f"python{RUNNING}-*"))


@pytest.fixture(scope="module")
def empty_venv(tmp_path_factory) -> Path:
    """A virtualenv of the running Python with nothing in it: a dry run then has to take every pin from the lock."""
    venv = tmp_path_factory.mktemp("empty-venv") / "venv"
    run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=TEMPLATE_DIR)
    return venv / "bin" / "python"


def dry_run(lock: Path, python: Path) -> subprocess.CompletedProcess[str]:
    command = [str(UV), "pip", "install", "--dry-run", "--require-hashes", "--python", str(python), "-r", str(lock)]
    return run(command, cwd=TEMPLATE_DIR, check=False)


@pytest.mark.parametrize("key", RUNNING_KEYS)
def test_lock_installs_alone_with_require_hashes(empty_venv: Path, key: str) -> None:
    """Each lock is complete in --require-hashes mode: every package it needs is pinned and hashed.

    A dry run with uv (seconds; pip's takes minutes a lock, as it downloads every wheel to
    check its hash). pip installs the superset lock for real, hash-checked, into the
    shared project virtualenv (tests/harness/venvs.py) and, on 3.12 and 3.13, in
    tests/test_pythons.py; every other lock pins a subset of it at the same versions.
    """
    for name in post_gen.LOCK_FILES:
        result = dry_run(LOCKS / key / name, empty_venv)

        assert result.returncode == 0, result.stderr


def test_a_lock_missing_a_dependency_does_not_install(empty_venv: Path, tmp_path: Path) -> None:
    lock = (LOCKS / RUNNING_KEYS[0] / "local.txt").read_text()
    without_pytest, count = re.subn(r"^pytest==.*?(?=^\S)", "", lock, count=1, flags=re.MULTILINE | re.DOTALL)
    assert count == 1
    (tmp_path / "local.txt").write_text(without_pytest)

    assert dry_run(LOCKS / RUNNING_KEYS[0] / "local.txt", empty_venv).returncode == 0
    assert dry_run(tmp_path / "local.txt", empty_venv).returncode != 0


def test_every_lock_pins_the_superset_versions() -> None:
    """The shared project virtualenv (the superset lock) stands for every bake of a Python: no lock differs from it."""
    for python in PYTHONS:
        superset_key = post_gen.lock_key({"python_version": python, **dict.fromkeys(post_gen.LOCK_TOGGLES, True)})
        superset = parse_lock((LOCKS / superset_key / "local.txt").read_text())
        for folder in LOCKS.glob(f"python{python}-*"):
            for name in post_gen.LOCK_FILES:
                for package, pin in parse_lock((folder / name).read_text()).items():
                    assert superset[package].version == pin.version, f"{folder.name}/{name}: {package}"


@pytest.mark.heavy(1)  # two minutes of asking the index: started early, not left for last
def test_committed_locks_are_what_locking_makes() -> None:
    """scripts/lock.py --check: the declarations of every set and Python lock to the committed files."""
    result = run([sys.executable, "-m", "scripts.lock", "--check"], cwd=TEMPLATE_DIR, check=False)

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
