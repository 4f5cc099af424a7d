"""The Redis cache and cached_db sessions in production settings, served by gunicorn.

A private redis-server is started for this module so that it can be flushed and
stopped without disturbing other tests. Through it all, a logged-in admin stays
logged in and no request fails.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers import PRODUCTION_ENV
from tests.live import ProjectRunner, create_database, free_port, kill_tree, wait_until

ADMIN_PATH = "/backstage-2c1d/"
ADMIN_EMAIL = "admin@example.com"
PASSWORD = "plausible-Horse-42"  # noqa: S105


class Client:
    """Just enough of a browser behind a TLS-terminating proxy: cookies, Host and X-Forwarded-Proto."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.statuses: list[int] = []

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        headers = {"Host": "example.com", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "https://example.com",
                "Referer": f"https://example.com{path}",
            }
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            self.statuses.append(response.status)
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()

    def log_in(self) -> None:
        status, _, page = self.request("GET", f"{ADMIN_PATH}login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, headers, _ = self.request(
            "POST",
            f"{ADMIN_PATH}login/",
            {"username": ADMIN_EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": ADMIN_PATH},
        )
        assert status == 302, "admin login failed"
        assert headers["Location"] == ADMIN_PATH

    def is_logged_in(self) -> bool:
        status, _, page = self.request("GET", ADMIN_PATH)
        return status == 200 and "Site administration" in page


@pytest.fixture(scope="module")
def served(cookies_session, project_python: Path, postgres_url: str, redis_server_binary: str, tmp_path_factory):
    result = cookies_session.bake(extra_context={"project_slug": "cache_live"})
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    logs = tmp_path_factory.mktemp("cache_live")
    redis_port = free_port()
    redis = subprocess.Popen(
        [redis_server_binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    database_url, drop_database = create_database(project_python, postgres_url)
    server = None
    try:
        runner = ProjectRunner(
            project,
            project_python,
            {
                **PRODUCTION_ENV,
                "DATABASE_URL": database_url,
                "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "DJANGO_ADMIN_URL": ADMIN_PATH.lstrip("/"),
            },
        )
        runner.manage("migrate", "--noinput")
        runner.manage("collectstatic", "--noinput")
        runner.shell(
            f"from apps.users.models import User; User.objects.create_superuser({ADMIN_EMAIL!r}, {PASSWORD!r})"
        )
        port = free_port()
        log = logs / "gunicorn.log"
        server = runner.popen(
            [str(project_python), "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
            log,
        )
        client = Client(port)
        wait_until(lambda: _answers(client), 30, "gunicorn to answer")
        yield client, runner, redis, log
    finally:
        if server is not None:
            kill_tree(server)
        kill_tree(redis)
        drop_database()


def _answers(client: Client) -> bool:
    try:
        return client.request("GET", "/healthz")[0] == 200
    except OSError:
        return False


def redis_call(runner: ProjectRunner, expression: str) -> object:
    """Evaluate ``expression`` on a redis-py client in the project's virtualenv; return it as JSON data."""
    code = (
        "import json, sys, redis\n"
        f"client = redis.Redis.from_url({runner.env['REDIS_URL']!r}, decode_responses=True)\n"
        f"json.dump({expression}, sys.stdout)"
    )
    result = subprocess.run([str(runner.python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_sessions_live_in_redis_and_survive_a_flush_and_an_outage(served) -> None:
    client, runner, redis, log = served

    client.log_in()
    assert client.is_logged_in()
    assert any("django.contrib.sessions.cached_db" in key for key in redis_call(runner, "client.keys()"))

    # A flush loses the cached copy; the session is read back from PostgreSQL.
    assert redis_call(runner, "client.flushall()") is True
    assert redis_call(runner, "client.dbsize()") == 0
    assert client.is_logged_in()

    # Redis gone: every cache call misses, every request still succeeds.
    kill_tree(redis)
    assert client.is_logged_in()
    assert client.request("GET", "/healthz")[0] == 200
    assert client.request("GET", f"{ADMIN_PATH}users/user/")[0] == 200

    assert all(status < 500 for status in client.statuses)
    text = log.read_text()
    # Production logs are JSON lines; gunicorn's own start-up lines are not.
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    outage = [r for r in records if r["logger"] == "apps.core.cache"]
    assert outage
    assert all(r["level"] == "WARNING" for r in outage)
    assert outage[0]["message"].startswith("Cache unavailable, serving without it: ConnectionInterrupted")
    assert all(len(r["request_id"]) == 32 for r in outage)
    assert "Traceback" not in text
