"""The reliability suite (`make verify`): a baked project served as production serves it, then attacked.

Each module serves its own project (`served` below: about ten seconds to bake,
migrate, seed and start), so what one module does to its data cannot change
what another module sees. `test_live_celery.py` (in this folder) belongs to the suite:
it kills a Celery worker mid-task and proves the message is delivered again and
its effect happens once, so that is not repeated here.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.served import PASSWORD, Response, ServedProject
from tests.harness.template import CACHE_DIR

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Screenshots and reports a person may want to look at after a run (git-ignored).
ARTIFACTS = CACHE_DIR / "verify"


def serve(workdir: Path, postgres_url: str, redis_binary: str, **options) -> Iterator[ServedProject]:
    with ServedProject(workdir, postgres_url=postgres_url, redis_binary=redis_binary, **options) as served:
        yield served


@pytest.fixture(scope="module")
def served(tmp_path_factory, postgres_url: str, redis_server_binary: str) -> Iterator[ServedProject]:
    """The full preset under gunicorn with production settings, for one test module."""
    yield from serve(tmp_path_factory.mktemp("served"), postgres_url, redis_server_binary)


def flush_cache(served: ServedProject) -> None:
    """Empty the cache database, and with it the throttle counters.

    The "auth" scope allows ten sign-ups or logins a minute from one address; the
    suite sends more than that from 127.0.0.1 and wants each to reach the code.
    """
    with socket.create_connection(("127.0.0.1", served.redis_port), timeout=5) as sock:
        sock.sendall(b"SELECT 0\r\nFLUSHDB\r\n")
        answer = b""
        while answer.count(b"\r\n") < 2:
            answer += sock.recv(64)
    assert answer == b"+OK\r\n+OK\r\n", answer


def user_create(served: ServedProject, email: str) -> str:
    """A user made by the project's own service; returns its id."""
    return served.runner.shell(
        f"from apps.users.services import user_create\nprint(user_create(email={email!r}, password={PASSWORD!r}).pk)"
    )


def login(served: ServedProject, email: str) -> str:
    flush_cache(served)
    return served.token(email)


def assert_problem(response: Response, status: int | None = None) -> dict:
    """A 4xx/5xx in the project's one error format: RFC 9457 problem details, no traceback."""
    assert response.headers.get("content-type", "").startswith(PROBLEM_CONTENT_TYPE), (
        response.status,
        response.headers,
        response.body[:500],
    )
    assert b"Traceback" not in response.body
    body = json.loads(response.body)
    assert {"type", "title", "status"} <= body.keys(), body
    assert body["status"] == response.status
    if status is not None:
        assert response.status == status, body
    return body
