"""Running a baked project's processes for real: databases, servers, workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.harness.process import clean_env, run

# Modules that run inside a baked project (ProjectRunner.script): seed data, checks.
PROJECT_SCRIPTS = Path(__file__).resolve().parent / "project_scripts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_command(python: Path, url: str, *command: str) -> object:
    """One Redis command through redis-py in the project's virtualenv; its answer as JSON data.

    A command of two words is one argument ("CLIENT LIST"), so that redis-py parses its answer.
    """
    code = (
        "import json, sys, redis\n"
        "client = redis.Redis.from_url(sys.argv[1], decode_responses=True)\n"
        "json.dump(client.execute_command(*sys.argv[2:]), sys.stdout)"
    )
    return json.loads(run([str(python), "-c", code, url, *command], cwd=Path.cwd()).stdout)


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{name}"))


class ProjectRunner:
    """Commands inside one baked project, with one fixed environment."""

    def __init__(self, project: Path, python: Path, env: dict[str, str], mail_dir: Path | None = None) -> None:
        self.project = project
        self.python = python
        self.env = env
        self.mail_dir = mail_dir

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run(
            [str(self.python), "manage.py", *args], cwd=self.project, env=self.env, check=check, timeout=timeout
        )

    def shell(self, code: str, timeout: float = 120) -> str:
        return self.manage("shell", "--no-imports", "-c", code, timeout=timeout).stdout.strip()

    def script(self, path: Path, *args: str, timeout: float = 120) -> str:
        """Run a module (e.g. one of PROJECT_SCRIPTS) as `__main__` inside the project, Django set up; its stdout.

        ``manage.py shell`` sets Django up with the runner's settings and puts the project on
        sys.path; the module reads ``args`` from sys.argv, as if run as ``python path args``.
        """
        argv = [str(path), *args]
        return self.shell(
            f"import runpy, sys\nsys.argv = {argv!r}\nrunpy.run_path(sys.argv[0], run_name='__main__')", timeout
        )

    def popen(self, args: list[str], log: Path, **kwargs) -> subprocess.Popen:
        # A session of its own, so the whole process tree can be killed at once.
        handle = log.open("w")
        return subprocess.Popen(
            args,
            cwd=self.project,
            env=clean_env(self.env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            **kwargs,
        )


def kill_tree(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


def create_database(python: Path, admin_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh PostgreSQL database on the test server, and a function that drops it."""
    name = f"live_{uuid.uuid4().hex[:12]}"
    script = (
        "import sys, psycopg\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
        "    c.execute(f'{sys.argv[2]} DATABASE {sys.argv[3]}' + (' WITH (FORCE)' if sys.argv[2] == 'DROP' else ''))\n"
    )
    cwd = Path.cwd()
    run([str(python), "-c", script, admin_url, "CREATE", name], cwd=cwd)

    def drop() -> None:
        run([str(python), "-c", script, admin_url, "DROP", name], cwd=cwd, check=False)

    return with_database(admin_url, name), drop
