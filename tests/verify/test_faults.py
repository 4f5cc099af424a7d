"""Faults under traffic, with nothing lost: PostgreSQL stopped and started, Redis stopped and started.

The database outage runs on a private PostgreSQL cluster started for this module
(the shared test server stays up for everyone else). A Celery worker killed
mid-task is covered by test_live_celery.py beside this module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness.live import PROJECT_SCRIPTS, free_port, wait_until
from tests.harness.served import USER_EMAIL, ServedProject
from tests.verify.conftest import assert_problem, login, serve

ORDERS = "/api/v1/orders/"
ME = "/api/v1/users/me/"
# Requests wait this long for a pooled connection during the outage, then answer 503.
POOL_TIMEOUT = 2
# An answer during the outage may take the pool timeout plus a connection attempt; never more.
SLOWEST_ANSWER = POOL_TIMEOUT + 4
OUTAGE_SECONDS = 4
# A throw-away cluster on loopback.
ROLE, ROLE_PASSWORD = "verify", "verify-faults-pw"


class PrivatePostgres:
    """A PostgreSQL cluster of this module's own: initdb into a temp dir, run as the postgres user."""

    def __init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not versions or shutil.which("runuser") is None:
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) or runuser are not installed")
        self.bin = Path(versions[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="verify-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = ""

    def as_postgres(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, timeout=timeout, check=True
        )

    def create(self) -> str:
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self.as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self.as_postgres(
            str(self.bin / "psql"),
            "-h",
            str(self.root),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE_PASSWORD}'",
        )
        return f"postgres://{ROLE}:{ROLE_PASSWORD}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
        self.as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        # immediate: the server dies mid-transaction, as in a crash; recovery runs at the next start.
        self.as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres(postgres_url: str) -> Iterator[PrivatePostgres]:
    # postgres_url: the same requirement as every live test (skipped locally without PostgreSQL, failed in CI).
    cluster = PrivatePostgres()
    try:
        cluster.url = cluster.create()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def served(tmp_path_factory, private_postgres: PrivatePostgres, redis_server_binary: str) -> Iterator[ServedProject]:
    yield from serve(
        tmp_path_factory.mktemp("faults"),
        private_postgres.url,
        redis_server_binary,
        extra_env={"DJANGO_DB_POOL_TIMEOUT": str(POOL_TIMEOUT)},
    )


@dataclass
class Traffic:
    """Clients placing and listing orders in a loop until told to stop; every answer is kept."""

    served: ServedProject
    token: str
    clients: int = 4
    answers: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, number: int) -> None:
        while not self.stopping.is_set():
            create = number % 2 == 0
            started = time.monotonic()
            try:
                if create:
                    body = {"items": [{"product_id": self.served.product_id, "quantity": 3}], "notes": "fault"}
                    answer = self.served.request("POST", ORDERS, token=self.token, json_body=body, timeout=15)
                else:
                    answer = self.served.request("GET", ORDERS, token=self.token, timeout=15)
            except OSError as error:
                self.errors.append(repr(error))
                continue
            self.answers.append((started, time.monotonic() - started, create, answer))

    def __enter__(self) -> Traffic:
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(self.clients)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_database_restart_under_load_fails_cleanly_and_recovers_without_losing_anything(
    served: ServedProject, private_postgres: PrivatePostgres
) -> None:
    token = login(served, USER_EMAIL)

    # Given traffic placing and listing orders
    with Traffic(served, token) as traffic:
        time.sleep(2)
        # When PostgreSQL dies mid-traffic and stays down for a few seconds
        outage_started = time.monotonic()
        private_postgres.stop()
        time.sleep(1)
        ready = served.request("GET", "/readyz", timeout=15)
        time.sleep(OUTAGE_SECONDS)
        private_postgres.start()
        outage_ended = time.monotonic()
        # Then the same gunicorn serves again by itself
        # Both workers' pools have to notice: recovered means a run of successes, not one.
        wait_until(
            lambda: all(served.request("GET", ME, token=token).status == 200 for _ in range(10)),
            60,
            "the API to recover",
        )
        recovered = time.monotonic()
        time.sleep(2)

    assert traffic.errors == []
    assert ready.status == 503
    assert ready.json()["checks"]["database"].startswith("failed")
    assert served.request("GET", "/readyz").status == 200

    # Sorted by when each request was sent.
    during = [a for a in traffic.answers if outage_started + 0.5 < a[0] < outage_ended - POOL_TIMEOUT]
    after = [a for a in traffic.answers if a[0] > recovered + 0.5]
    assert during, "no request was answered during the outage"
    assert {answer.status for *_, answer in during} == {503}
    for *_, answer in during:
        body = assert_problem(answer, 503)
        assert body["code"] == "service_unavailable"
        assert int(answer.headers["retry-after"]) > 0
    slowest = max(elapsed for _, elapsed, *_ in traffic.answers)
    assert slowest < SLOWEST_ANSWER, f"an answer took {slowest:.1f} s"
    assert after, "no request was answered after the recovery"
    assert {answer.status for *_, answer in after} <= {200, 201}
    unexpected = {a.status for *_, a in traffic.answers} - {200, 201, 503}
    assert unexpected == set(), [a.body[:300] for *_, a in traffic.answers if a.status in unexpected]

    # And nothing is half-written: every order has its items, stock moved by exactly what they took,
    # and every order the API confirmed exists.
    orphans, wrong_stock, placed = served.runner.script(PROJECT_SCRIPTS / "order_integrity.py").splitlines()
    assert orphans == "0"
    assert wrong_stock == "0"
    confirmed = {a.json()["id"] for _, _, create, a in traffic.answers if create and a.status == 201}
    assert confirmed
    assert confirmed <= set(placed.split(","))


def test_redis_outage_keeps_the_api_answering_and_readiness_tells(served: ServedProject) -> None:
    token = login(served, USER_EMAIL)
    order = served.request("GET", ORDERS, token=token).json()["results"][0]["id"]

    served.stop_redis()
    try:
        listing = served.request("GET", ORDERS, token=token)
        detail = served.request("GET", f"{ORDERS}{order}/", token=token)
        # The broker is that Redis too: the order commits, and its confirmation cannot be queued.
        body = {"items": [{"product_id": served.product_id, "quantity": 1}], "notes": "broker down"}
        placed = served.request("POST", ORDERS, token=token, json_body=body, timeout=30)
        ready = served.request("GET", "/readyz", timeout=15)
    finally:
        served.start_redis()

    assert listing.status == 200
    assert detail.status == 200
    assert detail.json()["id"] == order
    assert placed.status == 201, placed.body[:500]
    assert served.request("GET", f"{ORDERS}{placed.json()['id']}/", token=token).json()["notes"] == "broker down"
    log = served.log.read_text().splitlines()
    failures = [json.loads(line) for line in log if line.startswith("{") and "After a commit" in line]
    assert [record["level"] for record in failures] == ["ERROR"]
    assert ready.status == 503
    checks = ready.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["cache"].startswith("failed")
    assert checks["broker"].startswith("failed")
    wait_until(lambda: served.request("GET", "/readyz").status == 200, 30, "readiness after Redis is back")
