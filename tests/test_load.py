"""tests/load.py against a tiny local server: what wrk sends, and how its answers are counted."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from tests.load import run_load
from tests.served import PROXY_HEADERS

# Quotes, a backslash and a newline: the Lua script must carry them byte for byte.
AUTHORIZATION = 'Bearer a"b\\c'
BODY = json.dumps({"items": [{"notes": 'line\nbreak "quoted" ]]'}]})


class Handler(http.server.BaseHTTPRequestHandler):
    """200 only when the proxy headers and the Authorization header arrived intact; 500 at /boom."""

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
        self.answer(201 if self.headers_intact() and body == BODY else 400)


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
    result = run_load(port, "/orders", method="POST", headers=headers, body=BODY, connections=2, duration=1)

    # Then every answer was a 2xx and none an error
    assert result.requests > 0
    assert result.status_counts == {"2xx": result.requests, "3xx": 0, "4xx": 0, "5xx": 0, "socket_errors": 0}
    assert result.errors == 0
    assert result.rps > 0
    assert 0 < result.p50_ms <= result.p99_ms


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
