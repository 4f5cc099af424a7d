"""Lock the generated project's dependencies: one pair of locks per dependency set and Python.

A project declares its direct dependencies in requirements/{base,production,local}.in,
and which packages those name depends on a few answers (LOCK_TOGGLES in
hooks/post_gen_project.py). Hooks make no network calls, so the locks are computed
here, by a maintainer, for every combination of those answers and every offered
Python, into {{cookiecutter.project_slug}}/requirements/locks/<key>/; the
post-generation hook keeps the pair a bake needs as requirements/production.txt and
local.txt.

    python -m scripts.lock                          # re-lock after editing an .in file; pins that fit are kept
    python -m scripts.lock --upgrade                # every package to its newest allowed version
    python -m scripts.lock --upgrade-package django # one package (repeatable)
    python -m scripts.lock --check                  # exit 1 if a committed lock is not what locking makes

Each lock is made as a generated project's `make lock` makes it (same uv command, run
in a rendered project's layout, so the header names the project's own paths). For
each Python the all-features set is locked first, seeded with its committed lock;
every smaller set is then seeded with that fresh lock, so a package has the same
version in every bake that installs it. uv keeps the pins it finds in an output file unless told to upgrade, so
`--check` re-resolves against the index yet only differs where the declarations do
(or where the index withdrew a pinned release).
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.harness.template import PROJECT_TEMPLATE, TEMPLATE_DIR, load_hook

post_gen = load_hook("post_gen_project")

LOCKS = PROJECT_TEMPLATE / post_gen.LOCKS_DIR
UV = Path(sys.executable).parent / "uv"


def compile_command(python: str, group: str) -> list[str]:
    """What the generated Makefile's `lock` target runs (a lock's header records it, and must match).

    --no-strip-extras keeps "coverage[toml]==..." whole: pip before 23.3 (what Python 3.11
    and 3.12.1 ship) cannot match an extra to its hashed pin in --require-hashes mode.
    """
    options = ["--quiet", "--generate-hashes", "--no-strip-extras", "--python-version", python]
    options += ["--python-platform", "linux"]
    return ["pip", "compile", *options, f"requirements/{group}.in", "-o", f"requirements/{group}.txt"]


def pythons() -> list[str]:
    return json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["python_version"]


def feature_sets() -> list[dict[str, bool]]:
    """Every combination of LOCK_TOGGLES, all on first (the others are seeded from its lock)."""
    return [
        dict(zip(post_gen.LOCK_TOGGLES, values, strict=True))
        for values in itertools.product((True, False), repeat=len(post_gen.LOCK_TOGGLES))
    ]


def answer(condition: str, on: bool) -> tuple[str, str]:
    """The prompt answer that makes a LOCK_TOGGLES condition hold or not: a yes/no, or a choice."""
    name, equals, value = condition.partition("=")
    if not equals:
        return name, "yes" if on else "no"
    choices = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())[name]
    return name, value if on else next(choice for choice in choices if choice != value)


def render_declarations(output_dir: Path, features: dict[str, bool]) -> Path:
    """The requirements/*.in of a project rendered without hooks (they would look for these locks)."""
    from cookiecutter.main import cookiecutter

    answers = {"project_slug": "lock_source"} | dict(answer(condition, on) for condition, on in features.items())
    project = cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        output_dir=str(output_dir),
        extra_context=answers,
        default_config=True,
        accept_hooks=False,
    )
    return Path(project) / "requirements"


def lock_set(
    workdir: Path, declarations: Path, python: str, seed: Path, upgrade: list[str], offline: bool
) -> dict[str, str]:
    """Lock one set of declarations in ``workdir``, seeded with the locks in ``seed``: file name -> lock."""
    requirements = workdir / "requirements"
    requirements.mkdir(parents=True)
    for source in declarations.glob("*.in"):
        shutil.copyfile(source, requirements / source.name)
    for name in post_gen.LOCK_FILES:
        if (seed / name).is_file():
            shutil.copyfile(seed / name, requirements / name)
    # The environment, not an option: uv writes its options into the lock's header.
    env = os.environ | ({"UV_OFFLINE": "1"} if offline else {})
    for name in post_gen.LOCK_FILES:  # production first: local.in is constrained by production.txt
        command = [str(UV), *compile_command(python, Path(name).stem), *upgrade]
        subprocess.run(command, cwd=workdir, env=env, check=True)
    return {name: (requirements / name).read_text() for name in post_gen.LOCK_FILES}


def lock_python(scratch: Path, python: str, declarations: list[Path], upgrade: list[str]) -> dict[str, dict[str, str]]:
    """Every dependency set's locks for one Python: key -> file name -> lock text.

    Only the all-features set asks the index; the others are subsets of it, so uv's
    cache, fresh from that resolution, answers for them (UV_OFFLINE): much faster,
    and the same index state for every set.
    """
    locks: dict[str, dict[str, str]] = {}
    superset = scratch
    for index, (features, source) in enumerate(zip(feature_sets(), declarations, strict=True)):
        key = post_gen.lock_key({"python_version": python, **features})
        workdir = scratch / key
        if index == 0:
            locks[key] = lock_set(workdir, source, python, LOCKS / key, upgrade, offline=False)
            superset = workdir / "requirements"
        else:
            locks[key] = lock_set(workdir, source, python, superset, [], offline=True)
        print(f"locked {key}", file=sys.stderr)
    return locks


def lock_all(upgrade: list[str]) -> dict[str, dict[str, str]]:
    """key -> file name -> lock text, for every dependency set and Python (one thread per Python)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        # cookiecutter changes directory while it renders: render before the threads start.
        declarations = [render_declarations(root / "rendered" / str(i), f) for i, f in enumerate(feature_sets())]
        with ThreadPoolExecutor() as pool:
            futures = [pool.submit(lock_python, root / python, python, declarations, upgrade) for python in pythons()]
            return {key: files for future in futures for key, files in future.result().items()}


def differences(locks: dict[str, dict[str, str]]) -> list[str]:
    """Unified diffs of every committed lock that differs from ``locks``, and every stray folder."""
    found = []
    for key, files in locks.items():
        for name, text in files.items():
            path = LOCKS / key / name
            committed = path.read_text() if path.is_file() else ""
            if committed != text:
                relative = str(path.relative_to(TEMPLATE_DIR))
                found.append(
                    "".join(difflib.unified_diff(committed.splitlines(True), text.splitlines(True), relative))
                )
    found.extend(
        f"{folder.name}: no dependency set locks into it" for folder in LOCKS.iterdir() if folder.name not in locks
    )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed locks, write nothing")
    parser.add_argument("--upgrade", action="store_true", help="upgrade every package")
    parser.add_argument("--upgrade-package", action="append", default=[], metavar="NAME", help="upgrade one package")
    args = parser.parse_args(argv)
    upgrade = (
        ["--upgrade"]
        if args.upgrade
        else [option for name in args.upgrade_package for option in ("--upgrade-package", name)]
    )
    if args.check and upgrade:
        parser.error("--check compares the locks as they are; it does not combine with upgrading")

    locks = lock_all(upgrade)

    if args.check:
        found = differences(locks)
        print("\n".join(found) or f"{len(locks)} locks match their declarations")
        return 1 if found else 0
    shutil.rmtree(LOCKS, ignore_errors=True)
    for key, files in locks.items():
        (LOCKS / key).mkdir(parents=True)
        for name, text in files.items():
            (LOCKS / key / name).write_text(text)
    print(f"wrote {len(locks)} locks into {LOCKS.relative_to(TEMPLATE_DIR)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
