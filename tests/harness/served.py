"""A baked project served the way production serves it, for the reliability suite and the benchmark.

`ServedProject` bakes a preset, gives it a fresh PostgreSQL database and a private
redis-server, migrates, collects static files, seeds data through the project's
own code (project_scripts/seed.py) and runs gunicorn with production settings on loopback. Both the pytest
suite under `tests/verify/` and `scripts/bench.py` use it, so what is measured is
what is verified.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.answers import PRESETS
from tests.harness.live import PROJECT_SCRIPTS, ProjectRunner, create_database, free_port, kill_tree, wait_until
from tests.harness.process import PRODUCTION_ENV
from tests.harness.template import bake
from tests.harness.venvs import project_venv

ADMIN_PATH = "/backstage-5e1b/"
# What a browser behind the TLS-terminating proxy sends: production settings redirect plain HTTP.
PROXY_HEADERS = {"Host": "example.com", "X-Forwarded-Proto": "https"}
USER_EMAIL = "alice@example.com"
OTHER_EMAIL = "bob@example.com"
PASSWORD = "plausible-Horse-42"  # noqa: S105

# Load and fuzzing send thousands of requests from one user; the production rates
# would answer most of them 429. The auth scope stays strict, as in production.
LOAD_ENV = {
    "DJANGO_API_THROTTLE_USER": "10000000/hour",
    "DJANGO_API_THROTTLE_ANON": "10000000/hour",
}
# One webhook provider, so that the hostile-input suite and the fuzzer reach a receiving URL
# that exists (POST /api/v1/webhooks/<WEBHOOK_PROVIDER>/); bakes without webhooks ignore it.
WEBHOOK_PROVIDER = "test"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"served-project-webhook-key").decode()
WEBHOOK_ENV = {
    "DJANGO_WEBHOOK_PROVIDERS": json.dumps({WEBHOOK_PROVIDER: {"scheme": "standard", "secret": WEBHOOK_SECRET}})
}


# --- a client that talks to gunicorn as the proxy would --------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    json_body: object = None,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> Response:
    sent = dict(PROXY_HEADERS)
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        body = json.dumps(json_body)
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        connection.close()


# --- the served project ----------------------------------------------------------------


@dataclass(frozen=True)
class LoadTarget:
    """One endpoint under load: what wrk sends, headers included; several bodies go in turn."""

    method: str
    path: str
    headers: Mapping[str, str]
    bodies: tuple[str, ...] = ()

    @property
    def body(self) -> str | None:
        return self.bodies[0] if self.bodies else None


@dataclass
class ServedProject:
    """Bake, migrate, seed and serve one project; `start()` and `stop()` bracket its life.

    ``answers``: an answer set (tests/harness/answers.py); the full preset by default, so every endpoint exists.
    ``orders_per_user``: how many orders each of the two seeded users owns.
    ``redis_urls``: the cache's and the broker's databases on a Redis already running; without
    them the project gets a private redis-server.
    ``serve``: False to bake, migrate and seed only, for a caller that runs gunicorn itself.
    """

    workdir: Path
    answers: Mapping[str, str] = field(default_factory=lambda: PRESETS["full"])
    orders_per_user: int = 30
    workers: int = 2
    postgres_url: str = ""
    redis_binary: str = "redis-server"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    redis_urls: tuple[str, str] | None = None
    serve: bool = True
    # Called with the baked project before it is migrated and served (the benchmark adds its floor twins).
    customise: Callable[[Path], None] | None = None

    project: Path = field(init=False)
    python: Path = field(init=False)
    runner: ProjectRunner = field(init=False)
    port: int = field(init=False)
    redis_port: int = field(init=False, default=0)  # kept across a Redis restart
    log: Path = field(init=False)
    product_ids: list[str] = field(init=False)  # the seeded catalogue, by SKU
    server: subprocess.Popen | None = field(init=False, default=None)
    redis: subprocess.Popen | None = field(init=False, default=None)
    _cleanups: list = field(init=False, default_factory=list)

    def start(self) -> ServedProject:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.python = project_venv()
        self.project = bake(self.workdir, {"project_slug": "served", **self.answers})
        if self.customise is not None:
            self.customise(self.project)
        self.log = self.workdir / "gunicorn.log"
        if self.redis_urls is None:
            self.start_redis()
        cache_url, broker_url = self.redis_urls or (
            f"redis://127.0.0.1:{self.redis_port}/0",
            f"redis://127.0.0.1:{self.redis_port}/1",
        )
        database_url, drop = create_database(self.python, self.postgres_url)
        self._cleanups.append(drop)
        self.runner = ProjectRunner(
            self.project,
            self.python,
            {
                **PRODUCTION_ENV,
                **LOAD_ENV,
                **WEBHOOK_ENV,
                "DATABASE_URL": database_url,
                "REDIS_URL": cache_url,
                "CELERY_BROKER_URL": broker_url,
                "DJANGO_ADMIN_URL": ADMIN_PATH.strip("/") + "/",
                **self.extra_env,
            },
        )
        self.runner.manage("migrate", "--noinput", timeout=300)
        self.runner.manage("collectstatic", "--noinput", timeout=300)
        seed = PROJECT_SCRIPTS / "seed.py"
        self.product_ids = self.runner.script(
            seed, str(self.orders_per_user), PASSWORD, USER_EMAIL, OTHER_EMAIL
        ).split()
        self.port = free_port()
        if self.serve:
            self.start_server()
        return self

    def start_redis(self) -> None:
        self.redis_port = self.redis_port or free_port()
        self.redis = subprocess.Popen(
            [
                self.redis_binary,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self._redis_answers, 15, "redis-server to answer")

    def stop_redis(self) -> None:
        if self.redis is not None:
            kill_tree(self.redis)
            self.redis = None

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_server(self) -> None:
        gunicorn = [str(self.python), "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn_conf.py"]
        self.server = self.runner.popen([*gunicorn, "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers)], self.log)
        wait_until(self._answers, 60, "gunicorn to answer /healthz")

    def _answers(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.server.returncode}:\n{self.log.read_text()[-4000:]}")
        try:
            return self.request("GET", "/healthz", timeout=2).status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.server is not None:
            kill_tree(self.server)
            self.server = None
        self.stop_redis()
        while self._cleanups:
            self._cleanups.pop()()

    def __enter__(self) -> ServedProject:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        return request(self.port, method, path, **kwargs)

    def token(self, email: str = USER_EMAIL, password: str = PASSWORD) -> str:
        """An access token from the project's own login endpoint."""
        answer = self.request("POST", "/api/v1/auth/token/", json_body={"email": email, "password": password})
        assert answer.status == 200, answer.body
        return answer.json()["access"]

    def load_targets(self, token: str) -> dict[str, LoadTarget]:
        """The endpoints the benchmark measures and the reliability suite loads, as the proxy forwards them."""
        auth = {**PROXY_HEADERS, "Authorization": f"Bearer {token}"}
        order_id = self.request("GET", "/api/v1/orders/", token=token).json()["results"][0]["id"]
        # Orders spread over the whole catalogue, as a shop's do. Creates for one product
        # queue on its row lock by design (no two orders take the same last unit), so
        # a single product would measure that queue rather than the endpoint.
        creates = tuple(json.dumps({"items": [{"product_id": pk, "quantity": 1}]}) for pk in self.product_ids)
        return {
            "healthz": LoadTarget("GET", "/healthz", PROXY_HEADERS),
            "users_me": LoadTarget("GET", "/api/v1/users/me/", auth),
            "order_list": LoadTarget("GET", "/api/v1/orders/", auth),
            "order_detail": LoadTarget("GET", f"/api/v1/orders/{order_id}/", auth),
            "order_create": LoadTarget(
                "POST", "/api/v1/orders/", {**auth, "Content-Type": "application/json"}, creates
            ),
        }

    @property
    def product_id(self) -> str:
        return self.product_ids[0]

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        assert self.server is not None
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children").read_text().split()
        return [int(pid) for pid in children]
