"""A generated project can follow the template with cruft, offline.

The throw-away template repository has two commits: an earlier commit of this
repository ("old") and the current working tree ("new"), so uncommitted changes
are what gets tested. A team's first week plays out on a project made from the
old template: local changes, an update to the new one, commits through the
pre-commit hooks, the example app removed, a later template release, a feature
turned on. Each step must come out clean and `make ci` green.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.harness.live import create_database
from tests.harness.process import run
from tests.harness.rendered import rendered_text_files
from tests.harness.template import TEMPLATE_DIR, load_hook

post_gen = load_hook("post_gen_project")

# The "old" template: the first commit with both `make ci` and `startdomain`, which the
# first week uses (c6b88b7, used before, has neither). It predates the template's second
# migration in apps/users, so the update meets a team's own migration there. Its
# requirements are the current ones, so its bakes run in the shared project virtualenv.
OLD_COMMIT = "72a64ee"
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

# docs/upgrading.md's rewrite of imports of the modules that moved to apps/api (issue 16).
MOVED_IMPORTS_COMMAND = (
    r"grep -rlE 'apps\.core\.(exceptions|openapi|pagination|parsers|throttling)\b' apps config"
    r" | xargs -r perl -pi -e 's/apps\.core\.(exceptions|openapi|pagination|parsers|throttling)\b/apps.api.$1/g'"
)
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


@pytest.fixture(scope="session")
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


# --- commit hooks --------------------------------------------------------------------

HOOK_NAMES = ("ruff check", "ruff format", "django-upgrade")


def team_env(project: Path, project_python: Path, pre_commit_home: Path) -> dict[str, str]:
    """A developer's shell: the project's .venv (the shared one, linked) and nothing else.

    No virtualenv is active and nothing on PATH has the project's tools, as for
    `git commit` from a fresh terminal.
    """
    (project / ".venv").symlink_to(project_python.parent.parent)
    return {
        **GIT_ENV,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": "",
        "PRE_COMMIT_HOME": str(pre_commit_home),
    }


def commit_through_hooks(project: Path, env: dict[str, str], message: str) -> str:
    """`git commit` with the hooks installed as the generated README says; what they printed."""
    run([".venv/bin/pre-commit", "install"], cwd=project, env=env)
    git("add", "-A", cwd=project)
    result = run(["git", "commit", "-m", message], cwd=project, env=env)
    output = result.stdout + result.stderr  # git hands a hook's output to stderr
    assert [hook for hook in HOOK_NAMES if not re.search(rf"^{hook}\.+Passed$", output, re.MULTILINE)] == [], output
    assert git("status", "--porcelain", cwd=project) == ""
    return output


def test_a_fresh_project_commits_through_every_hook(cookies_session, tmp_path: Path, project_python: Path) -> None:
    project = Path(cookies_session.bake(extra_context={"project_slug": "hooked"}).project_path)
    env = team_env(project, project_python, tmp_path / "pre-commit-home")
    git("init", "-q", cwd=project)
    # A migration as Django writes it (not as ruff would format it), which ruff's config excludes.
    run(
        [".venv/bin/python", "manage.py", "makemigrations", "users", "--empty", "-n", "team_data"],
        cwd=project,
        env=env,
    )

    commit_through_hooks(project, env, "first commit")

    assert git("ls-files", "apps/users/migrations/0003_team_data.py", cwd=project)


# --- the example app removed: what cruft expects ------------------------------------


def project_files(project: Path) -> dict[str, bytes]:
    """The project's tracked-looking files: no git, virtualenv, caches or first-run state."""
    ignored = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    first_run = {"db.sqlite3", ".secret_key", ".coverage"}
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and ignored.isdisjoint(path.relative_to(project).parts) and path.name not in first_run
    }


@pytest.mark.parametrize("context", [{}, {"use_drf": "no", "use_celery": "no"}], ids=["default", "no-drf-no-celery"])
def test_removing_the_example_app_leaves_a_bake_without_it(
    template_repo: TemplateRepo, tmp_path: Path, project_python: Path, context: dict[str, str]
) -> None:
    answers = {"project_slug": "shop", **context}
    project = cruft_create(template_repo, tmp_path / "removed", answers, checkout=template_repo.new)
    without = cruft_create(
        template_repo, tmp_path / "without", {**answers, "include_example_app": "no"}, checkout=template_repo.new
    )
    run([str(project_python), "manage.py", "migrate", "--noinput"], cwd=project)

    run(["make", "remove-example-app", f"PYTHON={project_python}"], cwd=project)

    # Byte for byte, .cruft.json included: an update renders exactly this, so has nothing to re-add.
    removed, baked = project_files(project), project_files(without)
    assert sorted(removed) == sorted(baked)
    assert [name for name in removed if removed[name] != baked[name]] == []
    assert cruft_state(project)["context"]["cookiecutter"]["include_example_app"] is False


# --- a team's first week ---------------------------------------------------------------

TEAM_USER_FIELD = '    nickname = models.CharField(max_length=30, blank=True, db_default="")\n'
TEAM_ORDER_FIELD = '    reference = models.CharField(max_length=40, blank=True, db_default="")\n'

# A template release during the week, made on the week's clone of the template repository:
# it changes the example app (a new file, its README section, its Makefile target) and a
# shared passage.
RELEASE_README_LINE = "The next release says more about caching."
RELEASE_EXAMPLE_LINE = "The next release says more about the example app."
RELEASE_EXAMPLE_MODULE = '"""Added to the example app by a later release of the template."""\n'


def add_line_after(path: Path, anchor: str, line: str) -> None:
    text = path.read_text()
    assert anchor in text, f"{anchor!r} is no longer in {path}: update the release below"
    path.write_text(text.replace(anchor, f"{anchor}{line}\n", 1))


def later_release(template: Path) -> str:
    """Commit a release to the template repository; return its commit."""
    project = template / "{{cookiecutter.project_slug}}"
    add_line_after(project / "README.md", "## Cache and sessions\n\n", RELEASE_README_LINE)
    add_line_after(project / "README.md", "## The example app\n\n", RELEASE_EXAMPLE_LINE)
    add_line_after(project / "Makefile", "\trm -rf apps/orders\n", "\t@echo removed apps/orders")
    (project / "apps/orders/release.py").write_text(RELEASE_EXAMPLE_MODULE)
    return commit_all(template, "a later release that changes the example app")


def add_field(models: Path, after: str, field: str) -> None:
    text = models.read_text()
    anchor = next(line for line in text.splitlines(keepends=True) if line.startswith(after))
    models.write_text(text.replace(anchor, anchor + field, 1))


def make_ci(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = run(["make", "ci"], cwd=project, env=env, timeout=900)
    assert "Success: no issues found" in result.stdout  # mypy
    assert "Required test coverage of 90" in result.stdout
    return result


@pytest.fixture
def week_database(project_python: Path) -> Iterator[dict[str, str]]:
    """DATABASE_URL for the project: a fresh PostgreSQL database when there is a test server."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        yield {}
        return
    url, drop = create_database(project_python, admin_url)
    yield {"DATABASE_URL": url}
    drop()


@pytest.mark.heavy(4)
def test_first_week(
    template_repo: TemplateRepo, tmp_path: Path, project_python: Path, week_database: dict[str, str]
) -> None:
    started = time.monotonic()
    # The week's own copy of the template repository, which gets a release mid-week.
    clone = tmp_path / "template"
    git("clone", "-q", str(template_repo.path), str(clone), cwd=tmp_path)
    template = TemplateRepo(path=clone, old=template_repo.old, new=template_repo.new)
    project = cruft_create(
        template, tmp_path, {"project_slug": "week_shop", "use_celery": "no"}, checkout=template.old
    )
    env = {**team_env(project, project_python, tmp_path / "pre-commit-home"), **week_database}

    # Day 1: the team's changes, each with its migrations, and `make ci`.
    readme = project / "README.md"
    title, rest = readme.read_text().split("\n", 1)
    readme.write_text(f"{title}\n\n{TEAM_README_LINE}\n{rest}")
    team_test = project / "apps/users/tests/test_team_liveness.py"
    team_test.write_text(TEAM_TEST)
    add_field(project / "apps/users/models.py", "    full_name = ", TEAM_USER_FIELD)
    add_field(project / "apps/orders/models.py", "    notes = ", TEAM_ORDER_FIELD)
    run(["make", "migrations"], cwd=project, env=env)
    run(["make", "domain", "name=invoices", "model=Invoice"], cwd=project, env=env)
    run(["make", "migrate"], cwd=project, env=env)
    make_ci(project, env)
    commit_all(project, "team changes")
    team_migration = project / "apps/users/migrations/0002_user_nickname.py"
    assert team_migration.is_file()

    # Day 2: the update to the current template. Both sides added a users migration.
    assert cruft("check", cwd=project, check=False).returncode != 0
    cruft("update", "-y", cwd=project)
    assert merge_leftovers(project) == []
    assert TEAM_README_LINE in readme.read_text().splitlines()
    assert team_test.read_text() == TEAM_TEST
    assert (project / "apps/users/migrations/0002_user_email_verified_at.py").is_file()
    assert cruft_state(project)["commit"] == template.new
    clash = run(["make", "ci"], cwd=project, env=env, check=False)
    assert clash.returncode != 0
    assert "Conflicting migrations detected" in clash.stderr
    assert "makemigrations --merge" in clash.stderr
    # The fix docs/upgrading.md gives.
    run([".venv/bin/python", "manage.py", "makemigrations", "--merge", "--noinput"], cwd=project, env=env)
    # The invoices app, made by the old startdomain, imports an API module that moved (issue 16).
    assert "apps.core.exceptions" in (project / "apps/invoices/tests/test_api.py").read_text()
    assert MOVED_IMPORTS_COMMAND in (TEMPLATE_DIR / "docs/upgrading.md").read_text()
    run(["bash", "-c", MOVED_IMPORTS_COMMAND], cwd=project, env=env)
    assert "apps.core.exceptions" not in (project / "apps/invoices/tests/test_api.py").read_text()

    # The update is committed through the hooks, installed as the generated README says.
    commit_through_hooks(project, env, "Update from the template")

    # Day 3: the example app goes, then a template release that changes it arrives.
    run(["make", "remove-example-app"], cwd=project, env=env)
    commit_all(project, "remove the example app")
    assert cruft_state(project)["context"]["cookiecutter"]["include_example_app"] is False
    release = later_release(clone)
    cruft("update", "-y", cwd=project)
    assert merge_leftovers(project) == []
    assert not (project / "apps/orders").exists()
    assert "remove-example-app" not in (project / "Makefile").read_text()
    assert RELEASE_README_LINE in readme.read_text().splitlines()
    assert RELEASE_EXAMPLE_LINE not in readme.read_text()
    assert "example-app" not in readme.read_text()
    assert cruft_state(project)["commit"] == release
    cruft("check", cwd=project)
    make_ci(project, env)
    commit_all(project, "update from the template")

    # Day 4: Celery, turned on with the command docs/upgrading.md gives.
    cruft("update", "-y", "--variables-to-update", '{"use_celery": true}', cwd=project)
    assert merge_leftovers(project) == []
    celery_paths = post_gen.TOGGLED_PATHS["use_celery"]
    assert [path for path in celery_paths if not (project / path).exists()] == []
    assert not (project / "apps/orders").exists()
    state = cruft_state(project)["context"]["cookiecutter"]
    assert (state["use_celery"], state["include_example_app"]) == (True, False)
    cruft("check", cwd=project)
    run_ci_command(template_check_command(project, "github"), project)
    make_ci(project, env)
    assert team_migration.is_file()
    assert team_test.read_text() == TEAM_TEST
    print(f"\nfirst week (four updates and commits, make ci three times): {time.monotonic() - started:.1f} s")
