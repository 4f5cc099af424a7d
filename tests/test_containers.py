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
from pathlib import Path

import pytest

from tests.helpers import PRODUCTION_ENV, clean_env, required_tool, run
from tests.live import free_port, kill_tree, wait_until

BAKES = {
    "celery": {"project_slug": "compose_celery"},
    "no-celery": {"project_slug": "compose_plain", "use_celery": "no", "use_sentry": "no"},
}
PRODUCTION_VARIABLES = {name: value for name, value in PRODUCTION_ENV.items() if name != "DJANGO_SETTINGS_MODULE"}


@pytest.fixture(scope="module")
def compose() -> str:
    return required_tool("docker-compose", "docker-compose")


@pytest.fixture(params=list(BAKES), scope="module")
def project(request, cookies_session) -> Path:
    result = cookies_session.bake(extra_context=BAKES[request.param])
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
