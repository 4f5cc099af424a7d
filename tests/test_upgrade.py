"""A generated project can follow the template with cruft, offline.

The throw-away template repository has two commits: an earlier commit of this
repository ("old") and the current working tree ("new"), so uncommitted changes
are what gets tested. A project made from the old template, with a local change
a team would make, is updated to the new one; a project made without a toggle
turns it on later. Both must come out clean and green.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.harness.process import run
from tests.harness.rendered import rendered_text_files
from tests.harness.template import TEMPLATE_DIR, load_hook

post_gen = load_hook("post_gen_project")

# The last commit before the cruft upgrade path existed: the "old" template.
OLD_COMMIT = "c6b88b7"
MSG_OLD_COMMIT_MISSING = (
    "commit {commit} is not in {repo}: the upgrade tests need the template's history "
    "(a full clone; in a shallow one run `git fetch --unshallow`)"
)
CRUFT = Path(sys.executable).parent / "cruft"
NOT_COPIED = (".git", ".venv", ".cache", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache")

# cruft and the tests commit; identity comes from the environment, never the global git config.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}

NO_CRUFT_MESSAGE = (
    "No .cruft.json: this project was generated without cruft, so there is no template version to compare with"
    " (cruft link <template URL> records one)."
)
CONFLICT_MARKER = re.compile(r"^(<{7}|>{7}|={7})( |$)", re.MULTILINE)

TEAM_README_LINE = "Owned by the shop team; ask in #shop before changing the API."
TEAM_TEST = '''"""A test the team added after generation: it must survive template updates."""

from django.test import Client


def test_liveness_answers_ok(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
'''


def git(*args: str, cwd: Path) -> str:
    return run(["git", *args], cwd=cwd, env=GIT_ENV).stdout.strip()


def cruft(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([str(CRUFT), *args], cwd=cwd, env=GIT_ENV, check=check, timeout=300)


def commit_all(repo: Path, message: str) -> str:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    old: str
    new: str


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory) -> TemplateRepo:
    found = subprocess.run(
        ["git", "-C", str(TEMPLATE_DIR), "cat-file", "-e", f"{OLD_COMMIT}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(MSG_OLD_COMMIT_MISSING.format(commit=OLD_COMMIT, repo=TEMPLATE_DIR))
    repo = tmp_path_factory.mktemp("template-repo")
    git("init", "-q", cwd=repo)

    archive = subprocess.run(
        ["git", "-C", str(TEMPLATE_DIR), "archive", "--format=tar", OLD_COMMIT], capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(repo, filter="data")
    old = commit_all(repo, f"old template ({OLD_COMMIT})")

    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(TEMPLATE_DIR, repo, ignore=shutil.ignore_patterns(*NOT_COPIED), dirs_exist_ok=True)
    new = commit_all(repo, "new template (working tree)")
    return TemplateRepo(path=repo, old=old, new=new)


def cruft_create(template: TemplateRepo, output: Path, context: dict[str, str], checkout: str) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    cruft(
        "create",
        str(template.path),
        "--no-input",
        "--checkout",
        checkout,
        "--output-dir",
        str(output),
        "--extra-context",
        json.dumps(context),
        cwd=output,
    )
    project = output / context["project_slug"]
    git("init", "-q", cwd=project)
    commit_all(project, "generated with cruft")
    return project


def cruft_state(project: Path) -> dict:
    return json.loads((project / ".cruft.json").read_text())


def merge_leftovers(project: Path) -> list[str]:
    """Rejected hunks, unmerged paths and conflict markers an update left behind."""
    problems = [f"rejected: {path.relative_to(project)}" for path in project.rglob("*.rej")]
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project)
    problems += [f"unmerged: {name}" for name in unmerged.splitlines()]
    problems += [
        f"conflict marker: {path.relative_to(project)}"
        for path in rendered_text_files(project)
        if ".git" not in path.relative_to(project).parts and CONFLICT_MARKER.search(path.read_text())
    ]
    return problems


def assert_project_is_green(project: Path, python: Path) -> None:
    python_ = str(python)
    run([python_, "-m", "ruff", "check", "--no-cache", "."], cwd=project)
    run([python_, "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=project)
    run([python_, "manage.py", "check", "--fail-level", "WARNING"], cwd=project)
    run([python_, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=project)
    result = run([python_, "-m", "pytest", "-q", "-p", "no:randomly"], cwd=project, timeout=600)
    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout


def template_check_command(project: Path, ci_tool: str) -> str:
    """The shell command of the generated scheduled job that compares the project with its template."""
    if ci_tool == "github":
        workflow = yaml.safe_load((project / ".github/workflows/template-update.yml").read_text())
        steps = workflow["jobs"]["template-update"]["steps"]
        return next(step["run"] for step in steps if "cruft check" in step.get("run", ""))
    (command,) = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["template-update"]["script"]
    return command


def run_ci_command(command: str, project: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run as the CI job would, with this virtualenv's cruft first on PATH instead of a fresh install."""
    env = {**GIT_ENV, "PATH": f"{CRUFT.parent}:/usr/local/bin:/usr/bin:/bin"}
    return run(["bash", "-e", "-c", command], cwd=project, env=env, check=check)


# --- the scheduled job in the generated CI -------------------------------------------


def pinned_cruft(text: str) -> list[str]:
    return re.findall(r"cruft==([\w.]+)", text)


@pytest.mark.parametrize(
    ("ci_tool", "ci_file"), [("github", ".github/workflows/template-update.yml"), ("gitlab", ".gitlab-ci.yml")]
)
def test_ci_pins_the_cruft_the_template_is_tested_with(cookies_session, ci_tool: str, ci_file: str) -> None:
    tooling = pinned_cruft((TEMPLATE_DIR / "requirements-dev.txt").read_text())

    result = cookies_session.bake(extra_context={"project_slug": f"pin_{ci_tool}", "ci_tool": ci_tool})

    assert len(tooling) == 1
    assert pinned_cruft((Path(result.project_path) / ci_file).read_text()) == tooling


@pytest.mark.parametrize("ci_tool", ["github", "gitlab"])
def test_ci_template_check_explains_a_project_made_without_cruft(cookies_session, ci_tool: str) -> None:
    result = cookies_session.bake(extra_context={"project_slug": f"plain_{ci_tool}", "ci_tool": ci_tool})
    project = Path(result.project_path)

    outcome = run_ci_command(template_check_command(project, ci_tool), project)

    assert outcome.stdout.splitlines() == [NO_CRUFT_MESSAGE]


def test_gitlab_schedules_run_only_the_template_check(cookies_session) -> None:
    result = cookies_session.bake(extra_context={"project_slug": "scheduled", "ci_tool": "gitlab"})
    jobs = yaml.safe_load((Path(result.project_path) / ".gitlab-ci.yml").read_text())

    test_rules = jobs["test"]["rules"]
    template_rules = jobs["template-update"]["rules"]

    assert '$CI_PIPELINE_SOURCE == "schedule"' in test_rules[0]["if"]
    assert test_rules[0]["when"] == "never"
    assert template_rules == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]


# --- what cruft relies on: the same answers render the same bytes ----------------------


def render(output: Path, context: dict[str, str]) -> dict[str, bytes]:
    project = Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(output), extra_context=context))
    return {str(path.relative_to(project)): path.read_bytes() for path in project.rglob("*") if path.is_file()}


@pytest.mark.parametrize("context", [{}, {"use_celery": "no", "use_docker": "no", "ci_tool": "gitlab"}])
def test_same_answers_render_byte_identical_projects(tmp_path: Path, context: dict[str, str]) -> None:
    answers = {"project_slug": "twice", **context}

    first = render(tmp_path / "first", answers)
    second = render(tmp_path / "second", answers)

    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


# --- the upgrade path, end to end --------------------------------------------------


def test_old_project_with_local_changes_updates_cleanly(
    template_repo: TemplateRepo, tmp_path: Path, project_python: Path
) -> None:
    started = time.monotonic()
    project = cruft_create(template_repo, tmp_path, {"project_slug": "upgraded_shop"}, checkout=template_repo.old)
    readme = project / "README.md"
    title, rest = readme.read_text().split("\n", 1)
    readme.write_text(f"{title}\n\n{TEAM_README_LINE}\n{rest}")
    team_test = project / "apps/users/tests/test_team_liveness.py"
    team_test.write_text(TEAM_TEST)
    commit_all(project, "team changes")

    outdated = cruft("check", cwd=project, check=False)
    cruft("update", "--skip-apply-ask", cwd=project)

    assert outdated.returncode != 0
    assert merge_leftovers(project) == []
    assert TEAM_README_LINE in readme.read_text().splitlines()
    assert team_test.read_text() == TEAM_TEST
    assert cruft_state(project)["commit"] == template_repo.new
    cruft("check", cwd=project)
    run_ci_command(template_check_command(project, "github"), project)
    assert_project_is_green(project, project_python)
    print(f"\nold -> new update with local changes, checks and suite: {time.monotonic() - started:.1f} s")


def test_feature_turned_on_after_generation(template_repo: TemplateRepo, tmp_path: Path, project_python: Path) -> None:
    started = time.monotonic()
    project = cruft_create(
        template_repo, tmp_path, {"project_slug": "later_tasks", "use_celery": "no"}, checkout=template_repo.new
    )
    celery_paths = [
        *post_gen.TOGGLED_PATHS["use_celery"],
        *post_gen.TOGGLED_PATHS[("include_example_app", "use_celery")],
    ]
    assert [path for path in celery_paths if (project / path).exists()] == []

    cruft("update", "--skip-apply-ask", "--variables-to-update", '{"use_celery": "yes"}', cwd=project)

    assert merge_leftovers(project) == []
    assert [path for path in celery_paths if not (project / path).exists()] == []
    assert cruft_state(project)["context"]["cookiecutter"]["use_celery"] is True
    cruft("check", cwd=project)
    assert_project_is_green(project, project_python)
    print(f"\nuse_celery turned on by cruft update, checks and suite: {time.monotonic() - started:.1f} s")
