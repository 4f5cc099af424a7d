"""tests/harness/load.py against a tiny local server: what wrk sends, and how its answers are counted."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.harness.load import Load, run_load
from tests.harness.served import PROXY_HEADERS

# Quotes, a backslash and a newline: the Lua script must carry them byte for byte.
AUTHORIZATION = 'Bearer a"b\\c'
BODY = json.dumps({"items": [{"notes": 'line\nbreak "quoted" ]]'}]})
SECOND_BODY = json.dumps({"items": [{"notes": "second"}]})
RECEIVED: Counter[str] = Counter()  # POST bodies, as the server read them


class Handler(http.server.BaseHTTPRequestHandler):
    """2xx only when the proxy headers, the Authorization header and a known body arrived intact; 500 at /boom."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def headers_intact(self) -> bool:
        expected = {**PROXY_HEADERS, "Authorization": AUTHORIZATION}
        return all(self.headers.get(name) == value for name, value in expected.items())

    def do_GET(self) -> None:
        if self.path == "/boom":
            self.answer(500)
        else:
            self.answer(200 if self.headers_intact() else 400)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        RECEIVED[body] += 1
        self.answer(201 if self.headers_intact() and body in (BODY, SECOND_BODY) else 400)


@pytest.fixture(scope="module")
def port(wrk: str) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_post_with_headers_and_body_is_counted_as_2xx(port: int) -> None:
    # Given a server that answers 201 only to the exact headers and body
    headers = {**PROXY_HEADERS, "Authorization": AUTHORIZATION, "Content-Type": "application/json"}

    # When wrk posts for a second
    result = run_load(port, "/orders", method="POST", headers=headers, bodies=[BODY], connections=2, duration=1)

    # Then every answer was a 2xx and none an error
    assert result.requests > 0
    assert result.status_counts == {"2xx": result.requests, "3xx": 0, "4xx": 0, "5xx": 0, "socket_errors": 0}
    assert result.errors == 0
    assert result.rps > 0
    assert 0 < result.p50_ms <= result.p99_ms


def test_several_bodies_are_sent_in_turn(port: int) -> None:
    # Given two bodies, as the benchmark spreads orders over products
    RECEIVED.clear()
    headers = {**PROXY_HEADERS, "Authorization": AUTHORIZATION, "Content-Type": "application/json"}

    # When wrk posts for a second
    result = run_load(
        port, "/orders", method="POST", headers=headers, bodies=[BODY, SECOND_BODY], connections=2, duration=1
    )

    # Then both arrived intact, about equally often (each wrk thread alternates on its own)
    assert result.errors == 0
    assert set(RECEIVED) == {BODY, SECOND_BODY}
    assert abs(RECEIVED[BODY] - RECEIVED[SECOND_BODY]) <= 4
    assert RECEIVED.total() >= result.requests


def test_server_errors_and_missing_headers_are_errors(port: int) -> None:
    # Given requests the server refuses: no Authorization header, then a failing path
    refused = run_load(port, "/", headers=PROXY_HEADERS, connections=2, duration=1)
    failing = run_load(
        port, "/boom", headers={**PROXY_HEADERS, "Authorization": AUTHORIZATION}, connections=2, duration=1
    )

    # Then they are counted by class and as errors
    assert refused.status_counts["4xx"] == refused.requests > 0
    assert refused.errors == refused.requests
    assert failing.status_counts["5xx"] == failing.requests > 0
    assert failing.errors == failing.requests


def test_a_load_stopped_early_reports_what_it_sent(port: int) -> None:
    # Given a load meant to run for half a minute
    load = Load(port, "/", headers={**PROXY_HEADERS, "Authorization": AUTHORIZATION}, connections=2).start(30)
    time.sleep(1.5)

    # When it is stopped after a second and a half
    started = time.monotonic()
    result = load.stop()

    # Then it ends at once, and what it had sent is counted like a full run
    assert time.monotonic() - started < 5
    assert result.requests > 0
    assert result.status_counts["2xx"] == result.requests
    assert result.errors == 0
