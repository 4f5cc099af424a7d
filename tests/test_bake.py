"""Bake real projects and hold each one to the bar a team would hold it to on day one.

Every bake in BAKES (tests/harness/answers.py) is rendered, linted, checked by Django (local and production
settings, migrations) and has its own test suite run in the shared project
virtualenv. The default bake additionally runs against a real PostgreSQL and is
served by gunicorn with production settings.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.harness.answers import BAKES, SUITE_BAKES, SUITE_TWINS, SUITES_RUN_ELSEWHERE, answers_for
from tests.harness.live import free_port, kill_tree, redis_command, wait_until
from tests.harness.process import PRODUCTION_ENV, STORAGE_ENV, clean_env, run
from tests.harness.rendered import unrendered_jinja
from tests.harness.toggles import REQUIRES, TOGGLE_WORDS, post_gen, present_paths, row_enabled, toggle_mentions


@pytest.fixture(params=list(BAKES), scope="module")
def baked(request, cookies_session) -> Path:
    result = cookies_session.bake(extra_context=BAKES[request.param])
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    return Path(result.project_path)


def test_no_unrendered_jinja(baked: Path) -> None:
    assert unrendered_jinja(baked) == []


def test_ruff_is_clean(baked: Path, project_python: Path) -> None:
    run([str(project_python), "-m", "ruff", "check", "--no-cache", "."], cwd=baked)
    run([str(project_python), "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=baked)


def test_mypy_is_clean(baked: Path, project_python: Path) -> None:
    run([str(project_python), "-m", "mypy", "."], cwd=baked)


def test_dockerfile_passes_hadolint(baked: Path) -> None:
    if not (baked / "Dockerfile").exists():
        pytest.skip("use_docker is off in this bake")
    run([str(Path(sys.executable).parent / "hadolint"), "Dockerfile"], cwd=baked)


def test_compose_file_is_consistent(baked: Path, request) -> None:
    """No Docker engine here: check what a compose parser would, and what people get wrong."""
    if not (baked / "compose.yml").exists():
        pytest.skip("use_docker is off in this bake")
    compose = yaml.safe_load((baked / "compose.yml").read_text())
    services = compose["services"]
    celery = BAKES[request.node.callspec.params["baked"]].get("use_celery", "yes") == "yes"
    s3 = post_gen.is_enabled("cloud_storage=s3", answers_for(BAKES[request.node.callspec.params["baked"]]))

    assert set(services) == {"db", "redis", "mailpit", "web"} | ({"worker", "beat", "flower"} if celery else set())
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert services["web"]["environment"]["DATABASE_URL"].split("@")[1].startswith("db:5432/")
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    # The app's mail goes to the mail viewer, whose page is on the host's loopback.
    assert re.fullmatch(r"axllent/mailpit:v\d+\.\d+(\.\d+)?", services["mailpit"]["image"])
    assert services["mailpit"]["ports"] == ["127.0.0.1:8025:8025"]
    assert "mailpit" in services["web"]["depends_on"]
    if celery:
        assert services["worker"]["command"][:3] == ["celery", "-A", "config"]
        assert services["worker"]["environment"] == services["web"]["environment"]

    production = yaml.safe_load((baked / "compose.production.yml").read_text())["services"]
    assert set(production) == {"migrate", "web", "nginx"} | ({"worker", "beat"} if celery else set())
    # Clients reach gunicorn only through nginx, and X-Forwarded-For is believed from nginx alone.
    assert "ports" not in production["web"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in production["nginx"]["volumes"]
    nginx_address = production["nginx"]["networks"]["proxy"]["ipv4_address"]
    assert production["web"]["environment"]["DJANGO_TRUSTED_PROXIES"] == f"{nginx_address}/32"
    required = {
        name for name, value in production["web"]["environment"].items() if str(value).startswith(f"${{{name}:?")
    }
    # Exactly what production settings refuse to start without.
    assert required == (
        set(PRODUCTION_ENV)
        - {"DJANGO_SETTINGS_MODULE"}
        - (set() if celery else {"CELERY_BROKER_URL"})
        - (set() if s3 else STORAGE_ENV)
    )
    # Uploads go to the bucket: no volume keeps them on this host.
    assert ("volumes" in production["web"]) is not s3
    assert production["web"]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert production["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    if celery:
        # The same settings, without the connection pool Celery would rebuild for every task.
        assert production["worker"]["environment"] == {**production["web"]["environment"], "DJANGO_DB_POOL": "false"}


def test_django_checks_and_migrations(baked: Path, project_python: Path) -> None:
    manage = [str(project_python), "manage.py"]

    run([*manage, "check", "--fail-level", "WARNING"], cwd=baked)
    run([*manage, "makemigrations", "--check", "--dry-run"], cwd=baked)


def test_production_deploy_check_has_no_warnings(baked: Path, project_python: Path) -> None:
    result = run(
        [str(project_python), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=baked,
        env=PRODUCTION_ENV,
    )

    assert "System check identified no issues" in result.stdout


@pytest.mark.heavy(1)
@pytest.mark.parametrize("baked", SUITE_BAKES, indirect=True)
def test_generated_test_suite_passes(baked: Path, project_python: Path) -> None:
    result = run([str(project_python), "-m", "pytest", "-q", "-p", "no:randomly"], cwd=baked)

    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout


@pytest.mark.parametrize(("name", "test"), SUITES_RUN_ELSEWHERE.items())
def test_a_suite_run_elsewhere_has_its_test(name: str, test: str) -> None:
    """The test named for a bake's suite exists here, so the bake is not left without a run."""
    assert callable(globals().get(test)), f"{name}: no {test} in {__name__}"


# What differs between SUITE_TWINS and is not read by a generated suite: the shared virtualenv
# stands in for the locks; the Makefile's lock command names the declared Python.
NOT_SUITE_INPUTS = re.compile(
    r"(LICENSE|Dockerfile|\.gitlab-ci\.yml|renovate\.json|\.github/.*|requirements/[^/]+\.txt|.*\.md)"
)
NOT_SUITE_INPUT_LINES = {"Makefile": re.compile(r"LOCK = .*"), "pyproject.toml": re.compile(r"license = .*")}


def suite_inputs(project: Path) -> dict[str, list[str]]:
    inputs = {}
    for path in sorted(project.rglob("*")):
        name = path.relative_to(project).as_posix()
        if path.is_file() and not NOT_SUITE_INPUTS.fullmatch(name):
            skipped = NOT_SUITE_INPUT_LINES.get(name)
            lines = path.read_bytes().decode(errors="replace").splitlines()
            inputs[name] = [line for line in lines if not (skipped and skipped.fullmatch(line))]
    return inputs


@pytest.mark.parametrize(("twin", "partner"), SUITE_TWINS.items())
def test_a_suite_twin_gives_the_suite_its_partners_inputs(cookies_session, twin: str, partner: str) -> None:
    [twin_project, partner_project] = [
        Path(cookies_session.bake(extra_context={**BAKES[name], "project_slug": "twin"}).project_path)
        for name in (twin, partner)
    ]

    twin_inputs, partner_inputs = suite_inputs(twin_project), suite_inputs(partner_project)

    assert twin_inputs.keys() == partner_inputs.keys()
    assert [name for name in twin_inputs if twin_inputs[name] != partner_inputs[name]] == []


@pytest.mark.parametrize("toggle", sorted(TOGGLE_WORDS))
def test_toggles_leave_no_trace(baked: Path, toggle: str, request) -> None:
    # A toggle that needs another one (webhooks need the API) has its row keyed by both.
    row = toggle if toggle in post_gen.TOGGLED_PATHS else (toggle, REQUIRES[toggle])
    enabled = row_enabled(row, answers_for(BAKES[request.node.callspec.params["baked"]]))
    paths = post_gen.TOGGLED_PATHS[row]
    present = present_paths(baked, row)
    if enabled:
        assert present == list(paths)
        return
    assert present == []
    assert toggle_mentions(baked, toggle) == []


def test_make_help_lines_up_every_description(baked: Path) -> None:
    lines = run(["make", "help"], cwd=baked).stdout.splitlines()
    names = [line.split()[0] for line in lines]

    # Every description starts in one column, at least two spaces after the longest name.
    columns = {line.index(line.split()[1], len(name) + 2) for line, name in zip(lines, names, strict=True)}
    assert len(columns) == 1, "\n".join(lines)
    assert columns.pop() >= 2 + max(map(len, names)) + 2, "\n".join(lines)


def test_env_example_names_each_variable_once(baked: Path) -> None:
    """Of two uncommented lines for one name, the settings would take the first: one line each."""
    names = re.findall(r"^# ([A-Z][A-Z0-9_]*)=", (baked / ".env.example").read_text(), re.MULTILINE)

    assert "DJANGO_SECRET_KEY" in names
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def test_readme_links_the_projects_own_deployment_guide(baked: Path) -> None:
    documents = [baked / "README.md", *sorted((baked / "docs").glob("*.md"))]
    links = {
        (document, target)
        for document in documents
        for target in re.findall(r"\]\(([^)#\s]+)", document.read_text())
        if "://" not in target
    }

    assert (baked / "README.md", "docs/deployment.md") in links
    assert [f"{d.name} -> {t}" for d, t in sorted(links) if not (d.parent / t).exists()] == []


def test_license_file_matches_answer(baked: Path) -> None:
    pyproject = (baked / "pyproject.toml").read_text()
    license_file = baked / "LICENSE"
    assert not (baked / ".licenses").exists()
    if 'license = "' not in pyproject:
        assert not license_file.exists()
        return
    spdx = re.search(r'license = "([^"]+)"', pyproject).group(1)
    first_line = license_file.read_text().splitlines()[0]
    assert {"MIT": "MIT License", "BSD-3-Clause": "BSD 3-Clause License", "Apache-2.0": "Apache License"}[spdx] in (
        first_line + license_file.read_text()[:200]
    )


# --- the default bake, for real -------------------------------------------------


@pytest.fixture(scope="module")
def default_project(cookies_session) -> Path:
    result = cookies_session.bake(extra_context=BAKES["default"])
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.mark.heavy(1)
def test_make_ci_runs_what_ci_checks_and_passes(default_project: Path, project_python: Path) -> None:
    result = run(["make", "ci", f"PYTHON={project_python}"], cwd=default_project)

    assert "No changes detected" in result.stdout  # makemigrations --check
    assert "All checks passed!" in result.stdout  # ruff check
    assert "already formatted" in result.stdout  # ruff format --check
    assert "Success: no issues found" in result.stdout  # mypy
    assert "0 broken" in result.stdout  # lint-imports
    assert "Required test coverage of 90" in result.stdout  # make test, with its floor


def test_make_ci_stops_at_a_missing_migration(cookies_session, project_python: Path) -> None:
    result = cookies_session.bake(extra_context={"project_slug": "unmigrated", "include_example_app": "no"})
    project = Path(result.project_path)
    models = project / "apps" / "users" / "models.py"
    new_field = "    nickname = models.CharField(max_length=30, blank=True)\n"
    models.write_text(models.read_text().replace("    full_name = ", f"{new_field}    full_name = ", 1))

    outcome = run(["make", "ci", f"PYTHON={project_python}"], cwd=project, check=False)

    assert outcome.returncode != 0
    assert "Add field nickname to user" in outcome.stdout
    assert "ruff" not in outcome.stdout  # stopped before the slower checks


@pytest.mark.heavy(1)
def test_a_new_field_on_user_keeps_the_suite_green_and_the_dot_env_redis_alone(
    cookies_session, project_python: Path, redis_url: str
) -> None:
    """A team's first change, with the quick start's .env in place.

    The migration tests must not break on a new field, and the REDIS_URL in .env names the
    Redis of the developer's server, not the tests': the suite must leave its keys alone.
    """
    result = cookies_session.bake(extra_context=BAKES["no-example"])
    project = Path(result.project_path)
    models = project / "apps" / "users" / "models.py"
    new_field = "    phone = models.CharField(max_length=32, null=True, blank=True)\n"
    models.write_text(models.read_text().replace("    full_name = ", f"{new_field}    full_name = ", 1))
    run([str(project_python), "manage.py", "makemigrations", "users"], cwd=project)
    developer_redis = redis_url.rsplit("/", 1)[0] + "/8"
    # .env as the quick start makes it: a copy of .env.example with the REDIS_URL line uncommented.
    example = (project / ".env.example").read_text()
    [line] = [line for line in example.splitlines() if line.startswith("# REDIS_URL=redis://127.0.0.1:")]
    (project / ".env").write_text(example.replace(line, f"REDIS_URL={developer_redis}"))
    redis_command(project_python, developer_redis, "SET", "my-server:session", "keep me")

    outcome = run(
        [str(project_python), "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=project,
        env={"DJANGO_READ_DOT_ENV_FILE": "true"},
        check=False,
    )

    assert outcome.returncode == 0, outcome.stdout[-3000:]
    assert re.search(r"\d+ passed", outcome.stdout)
    assert redis_command(project_python, developer_redis, "GET", "my-server:session") == "keep me"


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DJANGO_ADMIN_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "DJANGO_AWS_STORAGE_BUCKET_NAME",
        "DJANGO_AWS_S3_REGION_NAME",
    ],
)
def test_production_names_the_missing_variable(default_project: Path, project_python: Path, missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = run([str(project_python), "manage.py", "check"], cwd=default_project, env=env, check=False)

    assert result.returncode != 0
    assert missing in result.stderr.strip().splitlines()[-1]


def wait_for(url: str, process: subprocess.Popen, headers: dict[str, str] | None = None, timeout: float = 30) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode}")
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2)  # noqa: S310
        except (urllib.error.URLError, ConnectionError):
            return False
        return True

    wait_until(answers, timeout, url)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def serve(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=cwd, env=clean_env(env), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )


def test_readme_quickstart_serves_on_sqlite_with_no_environment(
    cookies_session, project_python: Path, tmp_path: Path
) -> None:
    """`make quickstart`, as the README says, with the shared virtualenv standing in for .venv."""
    result = cookies_session.bake(extra_context={"project_name": "Quick Start"})
    project = Path(result.project_path)
    (project / ".venv").symlink_to(project_python.parent.parent)
    port = free_port()
    server = subprocess.Popen(
        ["make", "quickstart"],
        cwd=project,
        env=clean_env({"ADDRPORT": f"127.0.0.1:{port}"}),
        stdout=(tmp_path / "quickstart.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server, timeout=240)
        assert fetch(f"http://127.0.0.1:{port}/healthz") == (200, "ok")
        status, body = fetch(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200
        assert "Email address" in body
        # requirements/local.txt brings the debug toolbar, and the server shows it to this machine.
        toolbar = body.index('<div id="djDebugRoot"')
        script = re.search(r'<script[^>]* src="(/static/debug_toolbar/[^"]+)"', body[toolbar:])
        assert script is not None
        assert fetch(f"http://127.0.0.1:{port}{script[1]}")[0] == 200
        # The address `make quickstart` tells the user to open is a page, not a 404.
        status, body = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200
        page = body[: body.index('<div id="djDebugRoot"')]
        assert re.findall(r'href="([^"]+)"', page) == ["/admin/", "/api/v1/docs/", "/healthz", "/readyz"]
    finally:
        kill_tree(server)
    # The first migrate on SQLite says nothing to worry about.
    log = (tmp_path / "quickstart.log").read_text()
    assert "Applying users.0001_initial... OK" in log
    assert "System check identified some issues" not in log, log
    assert "W040" not in log
    assert (project / "db.sqlite3").stat().st_size > 0
    assert len((project / ".secret_key").read_text().strip()) >= 50

    # What the first run made stays out of version control.
    run(["git", "init", "-q"], cwd=project)
    tracked = run(["git", "add", "--dry-run", "-A"], cwd=project).stdout
    assert "manage.py" in tracked
    for local_only in (".secret_key", "db.sqlite3", ".venv"):
        assert local_only not in tracked


def test_eager_tasks_of_a_local_run_log_no_broker_warning(cookies_session, project_python: Path) -> None:
    """No CELERY_BROKER_URL: tasks run in-process, and kombu has no missing broker host to warn about."""
    project = Path(cookies_session.bake(extra_context={"project_slug": "eager_tasks"}).project_path)
    manage = [str(project_python), "manage.py"]
    run([*manage, "migrate", "--noinput"], cwd=project)
    task = "from apps.core.tasks import sessions_clear_expired_task as task; task.delay(); task.delay()"

    result = run([*manage, "shell", "-c", task], cwd=project)

    output = result.stdout + result.stderr
    assert output.count("Task apps.core.tasks.sessions_clear_expired_task[") == 2, output
    assert " WARNING " not in output, output


# --- real PostgreSQL and Redis -------------------------------------------------------


def test_tenant_isolation_holds_on_postgres(cookies_session, project_python: Path, fresh_database: str) -> None:
    """Row-level security exists only in PostgreSQL: the tenancy bake's isolation tests run there, none skipped."""
    project = Path(cookies_session.bake(extra_context=BAKES["tenancy"]).project_path)
    result = run(
        [str(project_python), "-m", "pytest", "-q", "--create-db", "-rs", "apps/tenancy", "apps/orders"],
        cwd=project,
        env={"DATABASE_URL": fresh_database},
    )

    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout
    assert "skipped" not in result.stdout, result.stdout


def test_production_settings_migrate_and_serve_on_postgres(
    default_project: Path, project_python: Path, fresh_database: str
) -> None:
    env = {**PRODUCTION_ENV, "DATABASE_URL": fresh_database}
    manage = [str(project_python), "manage.py"]
    run([*manage, "migrate", "--noinput"], cwd=default_project, env=env)
    run([*manage, "collectstatic", "--noinput"], cwd=default_project, env=env)
    unapplied = run([*manage, "showmigrations", "--plan"], cwd=default_project, env=env).stdout
    assert "[ ]" not in unapplied
    scored = run([*manage, "production_check"], cwd=default_project, env=env).stdout
    assert "Score: 8/8" in scored, scored

    port = free_port()
    gunicorn = [str(project_python), "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn_conf.py"]
    server = serve([*gunicorn, "-b", f"127.0.0.1:{port}", "-w", "2"], default_project, env)
    https = {"X-Forwarded-Proto": "https", "Host": "example.com"}
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", server, https)
        assert fetch(f"{base}/healthz", https) == (200, "ok")
        # Plain HTTP is redirected; the admin is only where DJANGO_ADMIN_URL says.
        request = urllib.request.Request(f"{base}/backstage-7f3a/login/", headers={"Host": "example.com"})  # noqa: S310
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=5)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"] == "https://example.com/backstage-7f3a/login/"
        # Probes reach the container by address over plain HTTP, as Docker's HEALTHCHECK does.
        assert fetch(f"{base}/healthz") == (200, "ok")
        # No Redis behind REDIS_URL here: readiness answers, and names what is missing.
        status, body = fetch(f"{base}/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["database"] == "ok"
        assert json.loads(body)["checks"]["cache"] != "ok"
        assert fetch(f"{base}/admin/login/", https)[0] == 404
        status, body = fetch(f"{base}/backstage-7f3a/login/", https)
        assert status == 200
        stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "admin page does not link hashed static files"
        assert fetch(f"{base}{stylesheet.group(1)}", https)[0] == 200
        assert fetch(f"{base}/backstage-7f3a/login/", {"X-Forwarded-Proto": "https", "Host": "evil.test"})[0] == 400
    finally:
        kill_tree(server)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_example_app_is_removed_in_one_step(cookies_session, project_python: Path) -> None:
    description = "Takes purchase orders from our suppliers."
    result = cookies_session.bake(extra_context={"project_slug": "no_more_orders", "description": description})
    project = Path(result.project_path)
    python = str(project_python)
    run([python, "manage.py", "migrate", "--noinput"], cwd=project)
    readme_before = (project / "README.md").read_text()

    run(["make", "remove-example-app", f"PYTHON={python}"], cwd=project)

    assert not (project / "apps" / "orders").exists()
    # Only the marked section goes: the description mentions orders and stays.
    readme = (project / "README.md").read_text()
    section = re.search(r"<!-- example-app.*?<!-- /example-app -->\n\n", readme_before, re.DOTALL)
    assert section
    assert readme == readme_before.replace(section.group(0), "")
    assert description in readme
    assert "example-app" not in readme
    # The target deletes itself once its work is done.
    makefile = (project / "Makefile").read_text()
    assert "remove-example-app" not in makefile
    assert "remove-example-app" not in run(["make", "help"], cwd=project).stdout
    mentions = [str(p.relative_to(project)) for p in project.rglob("*.py") if "apps.orders" in p.read_text()]
    assert mentions == []
    # What is left is a bake without the example app, byte for byte (tests/test_upgrade.py), and
    # passes `make ci` (the first week's third day): Django's checks say so here without a suite run.
    run([python, "manage.py", "check", "--fail-level", "WARNING"], cwd=project)
    run([python, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=project)


# --- the generated project's own CI, run natively ---------------------------------

SKIPPED_CI_STEPS = (
    "python -m pip install --require-hashes -r requirements/local.txt",  # the shared virtualenv has it
    "pip_audit",  # asks a vulnerability service; the template's reliability suite covers it
)


def ci_job(project: Path, ci_tool: str) -> dict:
    """The generated CI file's test job, as parsed YAML."""
    if ci_tool == "github":
        return yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]["test"]
    return yaml.safe_load((project / ".gitlab-ci.yml").read_text())["test"]


def ci_commands(project: Path, ci_tool: str) -> list[tuple[str, dict[str, str]]]:
    """(command, environment) pairs in the order the CI file runs them."""
    job = ci_job(project, ci_tool)
    if ci_tool == "github":
        return [(step["run"], {**job["env"], **step.get("env", {})}) for step in job["steps"] if "run" in step]
    variables = {key: str(value) for key, value in job["variables"].items()}
    return [(command, variables) for command in [*job["before_script"], *job["script"]]]


# GitLab's variables that configure its runner and service containers, not the project.
GITLAB_RUNNER_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PIP_CACHE_DIR"}
ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=.*")


def ci_steps(project: Path, ci_tool: str) -> list[tuple[tuple[str, ...], dict[str, str]]]:
    """The CI job as (command words, environment), one command a line, its services on loopback.

    Leading ``NAME=value`` words become environment, as a step's ``env:`` is on GitHub.
    """
    # GitHub's services are reached on loopback already; GitLab's by their aliases.
    services = ci_job(project, ci_tool)["services"]
    on_loopback = {service["alias"]: "127.0.0.1" for service in services} if ci_tool == "gitlab" else {}
    steps = []
    for command, env in ci_commands(project, ci_tool):
        for line in command.splitlines():
            words = shlex.split(line)
            assigned = list(itertools.takewhile(ASSIGNMENT.fullmatch, words))
            line_env = {**env, **dict(word.split("=", 1) for word in assigned)}
            for alias, address in on_loopback.items():
                line_env = {
                    name: re.sub(rf"(?<=[@/]){alias}(?=:\d)", address, value) for name, value in line_env.items()
                }
            steps.append((tuple(words[len(assigned) :]), line_env))
    return steps


def test_gitlab_ci_runs_what_github_ci_runs(cookies_session) -> None:
    """So the GitHub job's commands, run for real below, stand for GitLab's too."""
    [github, gitlab] = [
        Path(cookies_session.bake(extra_context={"project_slug": "ci_twin", "ci_tool": tool}).project_path)
        for tool in ("github", "gitlab")
    ]
    github_job, gitlab_job = ci_job(github, "github"), ci_job(gitlab, "gitlab")
    gitlab_steps = [
        (words, {name: value for name, value in env.items() if name not in GITLAB_RUNNER_VARIABLES})
        for words, env in ci_steps(gitlab, "gitlab")
    ]

    assert ("python", "-m", "pytest", "--cov", "--cov-report=term-missing") in [words for words, _ in gitlab_steps]
    assert gitlab_steps == ci_steps(github, "github")
    # The same Python, and the same PostgreSQL and Redis with the same credentials.
    [setup_python] = [step for step in github_job["steps"] if step.get("uses", "").startswith("actions/setup-python")]
    assert gitlab_job["image"] == f"python:{setup_python['with']['python-version']}"
    assert [service["name"] for service in gitlab_job["services"]] == [
        service["image"] for service in github_job["services"].values()
    ]
    assert {name: gitlab_job["variables"][name] for name in github_job["services"]["postgres"]["env"]} == (
        github_job["services"]["postgres"]["env"]
    )


@pytest.mark.heavy(2)
def test_generated_ci_commands_pass(
    cookies_session, project_python: Path, fresh_database: str, redis_url: str
) -> None:
    result = cookies_session.bake(extra_context={"project_slug": "ci_github", "ci_tool": "github"})
    project = Path(result.project_path)
    commands = ci_commands(project, "github")
    assert any("pytest" in command for command, _ in commands)
    assert any("check --deploy" in command for command, _ in commands)
    redis_database_url = f"{redis_url.rsplit('/', 1)[0]}/3"
    # The database is shared with a key the suite has no business deleting.
    redis_command(project_python, redis_database_url, "SET", "another-project:session", "keep me")
    services = {"DATABASE_URL": fresh_database, "REDIS_URL": redis_database_url, "TEST_REDIS_URL": redis_database_url}
    path = f"{project_python.parent}{os.pathsep}{os.environ['PATH']}"

    suites = []
    for command, env in commands:
        if any(skipped in command for skipped in SKIPPED_CI_STEPS):
            continue
        result = run(["bash", "-e", "-c", command], cwd=project, env={**env, **services, "PATH": path}, timeout=600)
        if "pytest" in command:
            suites.append(result.stdout)

    # The suite ran on PostgreSQL and Redis, whole: nothing is skipped there (the concurrent
    # last-unit and refresh-token tests run only on PostgreSQL).
    [suite] = suites
    assert re.search(r"\d+ passed", suite)
    # (coverage's "files skipped due to complete coverage" is not a skipped test)
    assert re.search(r"\d+ (skipped|failed|errors?)\b", suite) is None, suite[-3000:]
    # It emptied the cache around every test by deleting its own keys only.
    assert redis_command(project_python, redis_database_url, "GET", "another-project:session") == "keep me"
    assert redis_command(project_python, redis_database_url, "KEYS", "test-run-*") == []
