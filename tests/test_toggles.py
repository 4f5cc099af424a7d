"""Every pair of toggle values, baked together at least once: the pairwise (all-pairs) matrix.

Toggles break in combination: a setting that imports a module another toggle
removed, a URL include left behind, a migration that depends on an app that is
gone, a formatter complaint where two conditional blocks meet. Those failures
live in rendering, settings and migrations, and every one of them needs only
two toggles to show up. So the matrix covers every value of every option
against every value of every other option (the five booleans, yes/no, and
`ci_tool`, github/gitlab/none), plus all-on and all-off, in a handful of bakes
instead of all 96 combinations.

Where the checks run, and why:

- here, on every combination (a few seconds each): no unrendered Jinja, `ruff
  check` and `ruff format --check`, the import contracts (`lint-imports`),
  `manage.py check --fail-level WARNING`,
  `makemigrations --check`, `check --deploy --fail-level WARNING` with
  production settings, the files of each TOGGLED_PATHS row present exactly when
  its conditions hold, and no mention of a feature that is off;
- in tests/test_bake.py, on the representative bakes in BAKES (each toggle both
  ways, licenses, Pythons, hostile text): the generated project's own test
  suite, mypy, and on the default bake `make test` with its coverage floor,
  PostgreSQL and gunicorn. A generated suite run costs 30-60 s; running it on
  every combination here would multiply the suite's runtime for little gain,
  because the suite exercises behaviour that one toggle switches on, which BAKES
  already covers each way.
"""

from __future__ import annotations

import itertools
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.answers import ALL_OFF, ALL_ON, COMBINATIONS, OPTIONS, answers_for, combination_id, pairwise
from tests.harness.process import PRODUCTION_ENV, lint_imports, run
from tests.harness.rendered import unrendered_jinja
from tests.harness.toggles import TOGGLE_WORDS, feature_on, post_gen, present_paths, row_enabled, toggle_mentions

# More bakes than this means the generator degraded (or the options grew): look at it.
MAX_BAKES = 10


def test_combinations_cover_every_pair_of_values(record_property) -> None:
    names = list(OPTIONS)
    missing = [
        f"{a}={value_a} with {b}={value_b}"
        for a, b in itertools.combinations(names, 2)
        for value_a in OPTIONS[a]
        for value_b in OPTIONS[b]
        if not any(c[a] == value_a and c[b] == value_b for c in COMBINATIONS)
    ]
    record_property("bakes", len(COMBINATIONS))
    print(f"pairwise toggle matrix: {len(COMBINATIONS)} bakes")

    assert missing == []
    assert ALL_ON in COMBINATIONS
    assert ALL_OFF in COMBINATIONS
    assert ALL_OFF["ci_tool"] == "none"
    assert ALL_OFF["cloud_storage"] == "none"
    assert set(ALL_ON.values()) == {"yes", "github", "s3"}
    assert len({combination_id(c) for c in COMBINATIONS}) == len(COMBINATIONS), "duplicate combinations"
    assert len(COMBINATIONS) <= MAX_BAKES


def test_pairwise_is_deterministic_and_keeps_its_seeds() -> None:
    seeds = [ALL_OFF]

    first = pairwise(OPTIONS, seeds)

    assert first == pairwise(OPTIONS, seeds)
    assert first[0] == ALL_OFF
    assert pairwise({"a": ("x", "y"), "b": ("x", "y")}, seeds=[]) == [
        {"a": "x", "b": "x"},
        {"a": "x", "b": "y"},
        {"a": "y", "b": "x"},
        {"a": "y", "b": "y"},
    ]


# --- each combination, baked and checked ------------------------------------------

# `check` and `makemigrations` in one interpreter: Django starts once, and each
# command still exits non-zero on failure (CommandError, or makemigrations --check).
DJANGO_CHECKS = """
import runpy, sys
for argv in (["check", "--fail-level", "WARNING"], ["makemigrations", "--check", "--dry-run"]):
    sys.argv = ["manage.py", *argv]
    runpy.run_path("manage.py", run_name="__main__")
"""


@dataclass(frozen=True)
class Bake:
    path: Path
    answers: dict[str, object]


@pytest.fixture(params=COMBINATIONS, ids=combination_id, scope="module")
def baked(request, cookies_session) -> Bake:
    result = cookies_session.bake(extra_context=request.param)
    assert result.exit_code == 0, result.exception
    return Bake(Path(result.project_path), answers_for(request.param))


def test_no_unrendered_jinja(baked: Bake) -> None:
    assert unrendered_jinja(baked.path) == []


def test_ruff_is_clean(baked: Bake, project_python: Path) -> None:
    ruff = f"{shlex.quote(str(project_python))} -m ruff"
    run(["bash", "-e", "-c", f"{ruff} check --no-cache .; {ruff} format --check --no-cache ."], cwd=baked.path)


def test_import_contracts_hold(baked: Bake, project_python: Path) -> None:
    result = lint_imports(baked.path, project_python)

    assert "0 broken" in result.stdout


def test_django_checks_and_migrations(baked: Bake, project_python: Path) -> None:
    result = run([str(project_python), "-c", DJANGO_CHECKS], cwd=baked.path)

    assert "System check identified no issues" in result.stdout
    assert "No changes detected" in result.stdout


def test_production_deploy_check_has_no_warnings(baked: Bake, project_python: Path) -> None:
    result = run(
        [str(project_python), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=baked.path,
        env=PRODUCTION_ENV,
    )

    assert "System check identified no issues" in result.stdout


def test_toggled_paths_exist_exactly_when_their_conditions_hold(baked: Bake) -> None:
    wrong = {
        row: present
        for row, paths in post_gen.TOGGLED_PATHS.items()
        if (present := present_paths(baked.path, row)) != (list(paths) if row_enabled(row, baked.answers) else [])
    }

    assert wrong == {}


def test_each_variant_leaves_one_module_under_its_plain_name(baked: Bake) -> None:
    wrong = [
        plain
        for plain, (_, when_on, when_off) in post_gen.VARIANTS.items()
        if not (baked.path / plain).is_file() or (baked.path / when_on).exists() or (baked.path / when_off).exists()
    ]

    assert wrong == []


def test_toggles_that_are_off_leave_no_mention(baked: Bake) -> None:
    off = [toggle for toggle in TOGGLE_WORDS if not feature_on(toggle, baked.answers)]

    mentions = [f"{toggle} is off, yet {mention}" for toggle in off for mention in toggle_mentions(baked.path, toggle)]

    assert mentions == []
