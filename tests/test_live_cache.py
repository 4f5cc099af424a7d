"""The Redis cache and cached_db sessions in production settings, served by gunicorn.

The served project (tests/harness/served.py) has a private redis-server, so it can be
flushed and stopped without disturbing other tests. Through it all, a logged-in admin stays
logged in and no request fails. The admin's login limit counts there too, per address
behind the proxy.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.harness.live import ProjectRunner
from tests.harness.served import ADMIN_PATH, PASSWORD, ServedProject

ADMIN_EMAIL = "admin@example.com"
# The admin's recovery codes (made by the served fixture): each logs in once, in place of an app's code.
RECOVERY_CODES: list[str] = []


class Client:
    """Just enough of a browser behind a TLS-terminating proxy: cookies, Host and X-Forwarded-Proto."""

    def __init__(self, port: int, forwarded_for: str = "") -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.statuses: list[int] = []
        # The address the proxy appends for this client; none: the proxy's own (the connection's).
        self.forwarded_for = forwarded_for

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        headers = {"Host": "example.com", "X-Forwarded-Proto": "https"}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
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

    def try_logging_in(
        self, password: str = PASSWORD, code: str = "", email: str = ADMIN_EMAIL
    ) -> tuple[int, dict[str, str]]:
        status, _, page = self.request("GET", f"{ADMIN_PATH}login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, headers, _ = self.request(
            "POST",
            f"{ADMIN_PATH}login/",
            {
                "username": email,
                "password": password,
                "otp_token": code,
                "csrfmiddlewaretoken": token,
                "next": ADMIN_PATH,
            },
        )
        return status, headers

    def log_in(self) -> None:
        status, headers = self.try_logging_in(code=RECOVERY_CODES.pop())
        assert status == 302, "admin login failed"
        assert headers["Location"] == ADMIN_PATH

    def is_logged_in(self) -> bool:
        status, _, page = self.request("GET", ADMIN_PATH)
        return status == 200 and "Site administration" in page


@pytest.fixture(scope="module")
def served(postgres_url: str, redis_server_binary: str, tmp_path_factory) -> Iterator[tuple[Client, ServedProject]]:
    with ServedProject(
        tmp_path_factory.mktemp("cache_live"),
        orders_per_user=0,
        workers=1,
        postgres_url=postgres_url,
        redis_binary=redis_server_binary,
    ) as served:
        codes = served.runner.shell(
            "from apps.users.mfa import mfa_setup\nfrom apps.users.models import User\n"
            f"admin = User.objects.create_superuser({ADMIN_EMAIL!r}, {PASSWORD!r})\n"
            "print(' '.join(mfa_setup(user=admin)[1]))"
        )
        RECOVERY_CODES[:] = codes.split()
        yield Client(served.port), served


def redis_call(runner: ProjectRunner, expression: str) -> object:
    """Evaluate ``expression`` on a redis-py client in the project's virtualenv; return it as JSON data."""
    code = (
        "import json, sys, redis\n"
        f"client = redis.Redis.from_url({runner.env['REDIS_URL']!r}, decode_responses=True)\n"
        f"json.dump({expression}, sys.stdout)"
    )
    result = subprocess.run([str(runner.python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_the_admin_login_turns_a_guesser_away_and_not_the_others(served) -> None:
    # Given a guesser and a colleague behind the proxy, early enough in a minute for eleven attempts
    _, project = served
    if project.redis is None:  # the outage test stops it
        project.start_redis()
    guesser, colleague = Client(project.port, "203.0.113.66"), Client(project.port, "198.51.100.23")
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)

    # When the guesser tries ten wrong passwords (for another address: this test is about the
    # limit per client address, not the one per account), then the admin's right one
    wrong = [guesser.try_logging_in("wrong-guess", email="someone@example.com")[0] for _ in range(10)]
    status, headers = guesser.try_logging_in()

    # Then the right one is refused too, for the rest of the minute; the colleague logs in
    assert wrong == [200] * 10
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    colleague.log_in()
    assert colleague.is_logged_in()


def test_sessions_live_in_redis_and_survive_a_flush_and_an_outage(served) -> None:
    client, project = served
    runner, log = project.runner, project.log

    client.log_in()
    assert client.is_logged_in()
    assert any("django.contrib.sessions.cached_db" in key for key in redis_call(runner, "client.keys()"))

    # A flush loses the cached copy; the session is read back from PostgreSQL.
    assert redis_call(runner, "client.flushall()") is True
    assert redis_call(runner, "client.dbsize()") == 0
    assert client.is_logged_in()

    # Redis gone: every cache call misses, every request still succeeds.
    project.stop_redis()
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
