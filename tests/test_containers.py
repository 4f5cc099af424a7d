"""Compose files parsed by a real Compose implementation.

No Docker engine runs here, but `docker-compose config` (Debian's docker-compose,
installed by .ci/run) validates a file against the Compose schema and resolves
its variables without one. tests/test_bake.py checks what a parser cannot: which
services exist, loopback-only ports, the variables production insists on.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.harness.answers import COMPOSE_BAKES
from tests.harness.live import free_port, kill_tree, wait_until
from tests.harness.process import PRODUCTION_ENV, clean_env, required_tool, run

PRODUCTION_VARIABLES = {name: value for name, value in PRODUCTION_ENV.items() if name != "DJANGO_SETTINGS_MODULE"}


@pytest.fixture(scope="module")
def compose() -> str:
    return required_tool("docker-compose", "docker-compose")


@pytest.fixture(params=list(COMPOSE_BAKES), scope="module")
def project(request, cookies_session) -> Path:
    result = cookies_session.bake(extra_context=COMPOSE_BAKES[request.param])
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def test_development_compose_file_is_valid(compose: str, project: Path) -> None:
    run([compose, "-f", "compose.yml", "config", "--quiet"], cwd=project)


def test_production_compose_file_is_valid_with_its_environment(compose: str, project: Path) -> None:
    run([compose, "-f", "compose.production.yml", "config", "--quiet"], cwd=project, env=PRODUCTION_VARIABLES)


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ADMIN_URL"])
def test_production_compose_file_refuses_a_missing_variable(compose: str, project: Path, missing: str) -> None:
    env = {name: value for name, value in PRODUCTION_VARIABLES.items() if name != missing}

    result = run([compose, "-f", "compose.production.yml", "config", "--quiet"], cwd=project, env=env, check=False)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def compose_config(compose: str, project: Path, filename: str) -> dict:
    """The file as Compose resolves it: anchors merged, variables filled in."""
    env = PRODUCTION_VARIABLES if filename == "compose.production.yml" else None
    return yaml.safe_load(run([compose, "-f", filename, "config"], cwd=project, env=env).stdout)


def probe_disabled(healthcheck: dict) -> bool:
    # Compose v1 prints `disable: true` back as the engine's ["NONE"].
    return healthcheck.get("disable") is True or healthcheck.get("test") == ["NONE"]


@pytest.mark.parametrize("filename", ["compose.yml", "compose.production.yml"])
def test_services_on_the_app_image_without_its_web_server_bring_their_own_probe(
    compose: str, project: Path, filename: str
) -> None:
    """The image's HEALTHCHECK polls gunicorn's port: anything else on the image would never be healthy."""
    services = compose_config(compose, project, filename)["services"]
    on_image = {name for name, service in services.items() if "build" in service}
    celery = set()
    if (project / "config" / "celery.py").exists():
        celery = {"worker", "beat"} | ({"flower"} if filename == "compose.yml" else set())

    assert "healthcheck" not in services["web"]
    assert celery <= on_image
    for name in on_image - {"web"}:
        healthcheck = services[name].get("healthcheck")
        assert healthcheck, f"{name} inherits the web probe"
        assert probe_disabled(healthcheck) or "8000" not in " ".join(healthcheck["test"]), name
    if "worker" in services:
        # The worker names itself celery@<hostname> unless its command says otherwise.
        assert not {"-n", "--hostname"} & set(services["worker"]["command"])
        # `$$` in the file: the container's shell expands it, not Compose.
        assert re.search(r"--destination celery@\$\$?HOSTNAME\b", " ".join(services["worker"]["healthcheck"]["test"]))
        assert probe_disabled(services["beat"]["healthcheck"])
    if "flower" in services:
        [port] = [arg.split("=", 1)[1] for arg in services["flower"]["command"] if arg.startswith("--port=")]
        assert f"http://127.0.0.1:{port}/healthcheck" in " ".join(services["flower"]["healthcheck"]["test"])


def test_development_mail_reaches_the_mail_viewer(compose: str, project: Path, project_python: Path) -> None:
    """Local settings, given the environment compose gives the app, send by SMTP to the mailpit service."""
    services = compose_config(compose, project, "compose.yml")["services"]
    settings = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT)"
    # The key only spares the checkout a .secret_key; nothing is served or connected to.
    env = {**services["web"]["environment"], "DJANGO_SECRET_KEY": "compose-mail-check-" + "x" * 40}

    if "worker" in services:  # with Celery, the worker is what sends the sign-up and reset mail
        assert services["worker"]["environment"] == services["web"]["environment"]
    backend, host, port = run(
        [str(project_python), "-c", f"import django; django.setup(); {settings}"], cwd=project, env=env
    ).stdout.split()

    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert host in services
    assert services[host]["image"].startswith("axllent/mailpit:")
    assert port == "1025"  # Mailpit's SMTP port; 8025 is its page


def test_a_slug_yaml_reads_as_null_stays_a_string(cookies_session) -> None:
    result = cookies_session.bake(extra_context={"project_name": "Null"})
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)

    development = yaml.safe_load((project / "compose.yml").read_text())["services"]
    production = yaml.safe_load((project / "compose.production.yml").read_text())["services"]

    assert project.name == "null"
    assert development["db"]["environment"] == {
        "POSTGRES_DB": "null",
        "POSTGRES_USER": "null",
        "POSTGRES_PASSWORD": "null",
    }
    for name, service in [*development.items(), *production.items()]:
        for variable, value in service.get("environment", {}).items():
            assert isinstance(value, str), f"{name}: {variable} is {value!r}"
    assert production["web"]["image"] == "null:latest"


# --- the Dockerfile's own commands, run natively ------------------------------------------


def dockerfile_instructions(project: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined."""
    text = (project / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    instructions = [tuple(line.strip().split(maxsplit=1)) for line in joined.splitlines() if line.strip()]
    final_stage = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return [(name.upper(), args) for name, args in instructions[final_stage:]]


def image_environment(project: Path, python: Path) -> dict[str, str]:
    """The image's ENV, with the shared virtualenv standing in for /opt/venv."""
    env = {}
    for name, args in dockerfile_instructions(project):
        if name == "ENV":
            env |= dict(item.split("=", 1) for item in shlex.split(args))
    env["PATH"] = f"{python.parent}{os.pathsep}{os.environ['PATH']}"
    return env


def test_image_build_collects_static_files_with_its_throwaway_values(project: Path, project_python: Path) -> None:
    [collect] = [args for name, args in dockerfile_instructions(project) if name == "RUN" and "collectstatic" in args]

    run(["bash", "-c", collect], cwd=project, env=image_environment(project, project_python))

    assert (project / "staticfiles" / "staticfiles.json").is_file()


def test_image_command_serves_and_its_healthcheck_passes(project: Path, project_python: Path) -> None:
    instructions = dict(dockerfile_instructions(project))
    command = json.loads(instructions["CMD"])
    healthcheck = json.loads(instructions["HEALTHCHECK"].split(" CMD ", 1)[1])
    port = free_port()
    # The probe calls the container by its address, which is not an allowed host.
    env = {
        **image_environment(project, project_python),
        **PRODUCTION_VARIABLES,
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    server = subprocess.Popen(command, cwd=project, env=clean_env(env), start_new_session=True, **quiet)
    probe = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in healthcheck]
    try:
        wait_until(
            lambda: run(probe, cwd=project, env=env, check=False).returncode == 0, 60, "the HEALTHCHECK to pass"
        )
        assert server.poll() is None
    finally:
        kill_tree(server)


def test_the_image_user_can_write_its_uploads_and_not_its_code(project: Path) -> None:
    instructions = dockerfile_instructions(project)
    runs = " ".join(args for name, args in instructions if name == "RUN")

    assert [args for name, args in instructions if name == "COPY" and "--chown" in args] == []
    assert re.findall(r"chown (\S+) (\S+)", runs) == [("app:app", "/app/media")]
    assert ("WORKDIR", "/app") in instructions


# --- `make image-check`, the generated CI's image job, with a stand-in for docker ---------

# `build` is logged; `run --rm -e NAME=VALUE... IMAGE COMMAND...` runs COMMAND in the project
# directory (the image's WORKDIR) with the image's ENV (FAKE_DOCKER_IMAGE_ENV) and the -e values.
FAKE_DOCKER = """#!{python}
import json, os, sys

args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(" ".join(args[:1]) + "\\n")
if args[:2] == ["build", "--tag"] and args[3:] == ["."]:
    sys.exit(0)
if args[:2] != ["run", "--rm"]:
    sys.exit(f"fake docker: unexpected arguments {{args}}")
env = json.loads(os.environ["FAKE_DOCKER_IMAGE_ENV"])
rest = args[2:]
while rest[0] == "-e":
    name, value = rest[1].split("=", 1)
    env[name] = value
    rest = rest[2:]
image, command = rest[0], rest[1:]
os.execvpe(command[0], command, env)
"""


def make_image_check(project: Path, python: Path, tmp_path: Path, *make_args: str) -> subprocess.CompletedProcess[str]:
    docker = tmp_path / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable))
    docker.chmod(0o755)
    env = {
        "FAKE_DOCKER_LOG": str(tmp_path / "docker.log"),
        "FAKE_DOCKER_IMAGE_ENV": json.dumps(clean_env(image_environment(project, python))),
    }
    return run(["make", "image-check", f"DOCKER={docker}", *make_args], cwd=project, env=env, check=False)


def test_image_check_builds_then_loads_the_image_as_production_does(
    project: Path, project_python: Path, tmp_path: Path
) -> None:
    result = make_image_check(project, project_python, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "docker.log").read_text().split() == ["build", "run", "run"]
    assert "System check identified no issues" in result.stdout


def test_image_check_fails_when_the_image_cannot_load_its_settings(
    project: Path, project_python: Path, tmp_path: Path
) -> None:
    result = make_image_check(project, project_python, tmp_path, "IMAGE_CHECK_ENV=")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("ci_tool", ["github", "gitlab"])
def test_generated_ci_builds_the_image_with_make_image_check(cookies_session, ci_tool: str) -> None:
    result = cookies_session.bake(extra_context={"project_slug": f"image_{ci_tool}", "ci_tool": ci_tool})
    project = Path(result.project_path)

    if ci_tool == "github":
        [job] = yaml.safe_load((project / ".github/workflows/image.yml").read_text())["jobs"].values()
        commands = [step["run"] for step in job["steps"] if "run" in step]
    else:
        commands = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["image-check"]["script"]

    assert commands == ["make image-check"]
