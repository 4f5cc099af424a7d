"""The proxy in front of gunicorn, and who the rate limits believe (issue 17, findings 3 and 6).

Slow clients: Debian's nginx runs the project's own deploy/nginx.conf (only its ports,
upstream address and certificate paths changed) in front of the served gunicorn, and
fifty connections that send a header line a second must not slow a normal request.

Forged X-Forwarded-For: a client that reaches gunicorn directly, from an address that is
not a trusted proxy (127.0.0.2; the default trusts 127.0.0.1, where nginx connects
from), sends a new X-Forwarded-For with every login attempt and must still be refused.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.live import free_port, kill_tree, wait_until
from tests.harness.process import required_tool
from tests.harness.served import ADMIN_PATH, PROXY_HEADERS, ServedProject, request
from tests.verify.conftest import flush_cache

SLOW_CLIENTS = 50
ROUNDS = 6
REQUESTS_PER_ROUND = 5
# Past this, a slow-client thread stops on its own, whatever the test does.
SLOW_CLIENTS_MAX_SECONDS = 120
# Not a trusted proxy: the default DJANGO_TRUSTED_PROXIES is 127.0.0.1/32 and ::1/128.
DIRECT_CLIENT = "127.0.0.2"
AUTH_LIMIT = 10  # the "auth" throttle scope, per minute
ADMIN_LIMIT = 10  # DJANGO_ADMIN_LOGIN_ATTEMPTS_PER_MINUTE


# --- nginx with the shipped configuration ------------------------------------------------


def render_site(shipped: str, *, upstream_port: int, http_port: int, https_port: int, tls_dir: Path) -> str:
    """The shipped site, moved to free loopback ports and a test certificate; nothing else changes."""
    replacements = {
        "server web:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/nginx/tls/": f"{tls_dir}/",
    }
    for old, new in replacements.items():
        assert old in shipped, f"deploy/nginx.conf no longer contains {old!r}: update this test"
        shipped = shipped.replace(old, new)
    return shipped


def main_config(workdir: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf holds around conf.d/, with every path inside ``workdir``."""
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private temp dirs.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}\nworker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log off;\n{temp_paths}\n    include {site};\n}}\n"
    )


@pytest.fixture(scope="module")
def nginx(served: ServedProject, tmp_path_factory) -> Iterator[int]:
    """Debian's nginx on the shipped deploy/nginx.conf in front of the served gunicorn; its plain-HTTP port."""
    binary = required_tool("nginx", "nginx")
    openssl = required_tool("openssl", "openssl")
    workdir = tmp_path_factory.mktemp("nginx")
    tls_dir = workdir / "tls"
    tls_dir.mkdir()
    key, certificate = tls_dir / "privkey.pem", tls_dir / "fullchain.pem"
    self_signed = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.com"]
    subprocess.run(
        [openssl, *self_signed, "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True
    )
    http_port = free_port()
    site = workdir / "site.conf"
    site.write_text(
        render_site(
            (served.project / "deploy" / "nginx.conf").read_text(),
            upstream_port=served.port,
            http_port=http_port,
            https_port=free_port(),
            tls_dir=tls_dir,
        )
    )
    config = workdir / "nginx.conf"
    config.write_text(main_config(workdir, site))
    log = workdir / "error.log"
    command = [binary, "-p", f"{workdir}/", "-e", str(log), "-c", str(config), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"nginx exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            try:
                return request(http_port, "GET", "/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_until(answers, 15, "nginx to answer /healthz")
        yield http_port
    finally:
        kill_tree(process)


# --- slow clients --------------------------------------------------------------------------


class SlowClients:
    """Connections that send a request's header one line a second and never finish it.

    One thread feeds them all; a connection the server closes is opened again, so all of
    them stay there until `stop()` (or SLOW_CLIENTS_MAX_SECONDS, whichever comes first).
    """

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.sockets = [self.connect() for _ in range(count)]
        self.reopened = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.feed, daemon=True)
        self.thread.start()

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: example.com\r\n")
        return sock

    def feed(self) -> None:
        deadline = time.monotonic() + SLOW_CLIENTS_MAX_SECONDS
        line = 0
        while not self.stopping.wait(1) and time.monotonic() < deadline:
            line += 1
            for index, sock in enumerate(self.sockets):
                try:
                    sock.sendall(f"X-Slow-{line}: x\r\n".encode())
                except OSError:
                    sock.close()
                    self.sockets[index] = self.connect()
                    self.reopened += 1

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


def healthz_seconds(port: int) -> float:
    started = time.perf_counter()
    answer = request(port, "GET", "/healthz", timeout=30)
    elapsed = time.perf_counter() - started
    assert answer.status == 200, answer.body
    return elapsed


def latencies(port: int, slow_port: int) -> tuple[list[float], list[float]]:
    """/healthz latencies at ``port`` without and with slow clients at ``slow_port``, interleaved in rounds."""
    quiet, slowed = [], []
    for _ in range(ROUNDS):
        quiet += [healthz_seconds(port) for _ in range(REQUESTS_PER_ROUND)]
        slow = SlowClients(slow_port, SLOW_CLIENTS)
        try:
            time.sleep(1.5)  # every connection has sent its request line and a header line
            slowed += [healthz_seconds(port) for _ in range(REQUESTS_PER_ROUND)]
        finally:
            slow.stop()
    return quiet, slowed


def test_slow_clients_through_the_shipped_proxy_do_not_slow_anyone_else(served: ServedProject, nginx: int) -> None:
    quiet, slowed = latencies(nginx, nginx)

    ratio = statistics.median(slowed) / statistics.median(quiet)
    figures = (
        f"/healthz through nginx: median {statistics.median(quiet) * 1000:.1f} ms alone, "
        f"{statistics.median(slowed) * 1000:.1f} ms beside {SLOW_CLIENTS} slow clients (x{ratio:.2f})"
    )
    print(figures)  # shown with -s, and in the report of a failure
    assert ratio < 1.5, figures


# --- forged X-Forwarded-For, straight at gunicorn -------------------------------------------


def direct(port: int, method: str, path: str, headers: dict[str, str], body: str | None = None):
    """A request from 127.0.0.2: a client of its own, not the proxy on 127.0.0.1."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(DIRECT_CLIENT, 0))
    try:
        connection.request(method, path, body=body, headers={**PROXY_HEADERS, **headers})
        answer = connection.getresponse()
        return answer.status, answer.getheaders(), answer.read().decode()
    finally:
        connection.close()


def start_of_a_minute() -> None:
    """The limits count per wall-clock minute: start early in one, so the attempts below share it."""
    if time.time() % 60 > 40:
        time.sleep(60.5 - time.time() % 60)


def test_a_direct_client_forging_x_forwarded_for_is_throttled_at_the_api(served: ServedProject) -> None:
    flush_cache(served)
    start_of_a_minute()

    statuses = [
        direct(
            served.port,
            "POST",
            "/api/v1/auth/token/",
            {"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{n}"},
            json.dumps({"email": "nobody@example.com", "password": "wrong-guess"}),
        )[0]
        for n in range(30)
    ]

    assert statuses == [401] * AUTH_LIMIT + [429] * (30 - AUTH_LIMIT)


def test_a_direct_client_forging_x_forwarded_for_is_throttled_at_the_admin(served: ServedProject) -> None:
    flush_cache(served)
    login = f"{ADMIN_PATH}login/"
    status, headers, page = direct(served.port, "GET", login, {})
    assert status == 200
    cookies = "; ".join(value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": "nobody@example.com", "password": "wrong-guess", "csrfmiddlewaretoken": token}
    )
    start_of_a_minute()

    statuses = [
        direct(
            served.port,
            "POST",
            login,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookies,
                "Origin": "https://example.com",
                "Referer": f"https://example.com{login}",
                "X-Forwarded-For": f"198.51.100.{n}",
            },
            form,
        )[0]
        for n in range(13)
    ]

    assert statuses == [200] * ADMIN_LIMIT + [429] * (13 - ADMIN_LIMIT)
