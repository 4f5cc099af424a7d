"""Credential stuffing against one account, and requests for hosts that are not ours (issue 17, findings 7 and 4).

Per-account limit: logins for one account arrive through the trusted proxy (127.0.0.1)
with a different X-Forwarded-For each, as a botnet's would; the per-address limit sees
ten clients with one attempt each, and only the count per account can stop them. The
window is shortened to WINDOW seconds here so the test can also see the lock end (a
minute: eleven logins on a loaded two-core machine can take ten seconds and more).

Bad Host: five requests naming scanners' hosts are answered 400 and leave no
error-level line (nor a traceback) in gunicorn's output, which is what pages and
what an error tracker counts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.harness.live import wait_until
from tests.harness.served import OTHER_EMAIL, PASSWORD, USER_EMAIL, Response, ServedProject
from tests.verify.conftest import flush_cache, serve

TOKEN = "/api/v1/auth/token/"  # noqa: S105 - a path, not a secret
FAILURES = 10  # DJANGO_LOGIN_FAILURES_PER_ACCOUNT's default
WINDOW = 60  # DJANGO_LOGIN_FAILURES_WINDOW_SECONDS, shortened from 15 minutes


@pytest.fixture(scope="module")
def served(tmp_path_factory, postgres_url: str, redis_server_binary: str) -> Iterator[ServedProject]:
    yield from serve(
        tmp_path_factory.mktemp("served"),
        postgres_url,
        redis_server_binary,
        extra_env={"DJANGO_LOGIN_FAILURES_WINDOW_SECONDS": str(WINDOW)},
    )


def log_in(served: ServedProject, email: str, password: str, client: str) -> Response:
    """A login relayed by the trusted proxy on 127.0.0.1 for ``client``."""
    return served.request(
        "POST", TOKEN, json_body={"email": email, "password": password}, headers={"X-Forwarded-For": client}
    )


def test_failures_from_many_addresses_lock_one_account_until_its_window_ends(served: ServedProject) -> None:
    flush_cache(served)
    if time.time() % WINDOW > WINDOW / 2:  # the attempts below must share one window
        time.sleep(WINDOW + 0.5 - time.time() % WINDOW)

    guesses = [log_in(served, USER_EMAIL, "wrong-guess", f"198.51.100.{n}").status for n in range(FAILURES)]
    locked = log_in(served, USER_EMAIL, PASSWORD, "203.0.113.1")
    other_account = log_in(served, OTHER_EMAIL, PASSWORD, "203.0.113.2")

    assert guesses == [401] * FAILURES
    assert locked.status == 429, locked.body
    assert "access" not in locked.json()
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= WINDOW
    assert other_account.status == 200, other_account.body

    time.sleep(retry_after + 0.5)
    unlocked = log_in(served, USER_EMAIL, PASSWORD, "203.0.113.3")
    assert unlocked.status == 200, unlocked.body


def test_requests_for_other_hosts_are_refused_without_an_error_log_line(served: ServedProject) -> None:
    logged = served.log.stat().st_size

    statuses = [
        served.request("GET", "/api/v1/users/me/", headers={"Host": f"scanner{n}.evil.com"}).status for n in range(5)
    ]

    assert statuses == [400] * 5

    def new_lines() -> str:
        with served.log.open(encoding="utf-8", errors="replace") as log:
            log.seek(logged)
            return log.read()

    # Each refusal is still logged, once, as a warning that names the host.
    wait_until(lambda: "scanner4.evil.com" in new_lines(), 10, "the refusals to be logged")
    lines = new_lines().splitlines()
    assert all(any(f"scanner{n}.evil.com" in line for line in lines) for n in range(5)), lines
    assert not [line for line in lines if "ERROR" in line or "Traceback" in line], lines
