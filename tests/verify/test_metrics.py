"""Prometheus metrics of a project served as production serves it (issue 19).

gunicorn runs two workers; each writes its figures to the multiprocess directory and
whichever takes the scrape must report the sum of both. A Celery worker with two pool
processes answers on a port of its own, with the queue wait of a task that went through
the broker. Both refuse a caller without the token.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.harness.live import ProjectRunner, free_port, kill_tree, wait_until
from tests.harness.served import ADMIN_PATH, ServedProject
from tests.verify.conftest import serve

# A fixture, found by pytest under this name: the shipped nginx, here in front of `served` below.
from tests.verify.test_proxy import nginx  # noqa: F401

TOKEN = "verify-metrics-token-0123456789abcdef"  # noqa: S105
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
TASK = "apps.core.tasks.sessions_clear_expired_task"
WORKER_ARGS = [
    "-m", "celery", "-A", "config", "worker", "-Q", "critical,default", "--concurrency", "2",
    "--loglevel", "INFO", "--without-gossip", "--without-mingle",
]  # fmt: skip


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web-metrics")


@pytest.fixture(scope="module")
def served(tmp_path_factory, postgres_url: str, redis_server_binary: str, metrics_dir: Path) -> Iterator:
    env = {"DJANGO_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    yield from serve(tmp_path_factory.mktemp("served"), postgres_url, redis_server_binary, workers=2, extra_env=env)


def scrape(port: int, authorization: str | None = f"Bearer {TOKEN}") -> tuple[int, str]:
    """GET /metrics as Prometheus does: straight to the process, by address, over plain HTTP."""
    headers = {"Host": f"127.0.0.1:{port}"}
    if authorization is not None:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics", headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels`` (0 when there is none)."""
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"] == name and labels.items() <= dict(LABEL.findall(match["labels"] or "")).items():
            return float(match["value"])
    return 0.0


def workers_that_recorded(served: ServedProject, metrics_dir: Path) -> set[int]:
    return {pid for pid in served.worker_pids() if (metrics_dir / f"histogram_{pid}.db").exists()}


def test_a_scrape_reports_the_requests_of_both_workers(served: ServedProject, metrics_dir: Path) -> None:
    healthz = {"route": "healthz", "method": "GET", "status": "200"}
    # The harness's own probes, made while waiting for gunicorn to answer, count too.
    before = value(scrape(served.port)[1], "http_request_duration_seconds_count", **healthz)
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Concurrent connections, until the kernel has handed requests to both workers.
        for _ in range(20):
            statuses = list(pool.map(lambda _: served.request("GET", "/healthz").status, range(16)))
            assert statuses == [200] * 16
            sent += 16
            if len(workers_that_recorded(served, metrics_dir)) == 2:
                break
    for _ in range(3):
        assert served.request("GET", f"{ADMIN_PATH}login/").status == 200

    status, text = scrape(served.port)

    assert status == 200
    assert len(workers_that_recorded(served, metrics_dir)) == 2, "one worker served every request"
    assert value(text, "http_request_duration_seconds_count", **healthz) - before == sent
    assert value(text, "http_request_duration_seconds_count", route="admin:login", method="GET", status="200") == 3
    assert value(text, "http_request_db_queries_count", route="admin:login") == 3
    # The admin's secret path is no label: the pattern's name is.
    assert ADMIN_PATH.strip("/") not in text


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}"])
def test_the_web_refuses_a_scrape_without_the_token(served: ServedProject, authorization: str | None) -> None:
    status, text = scrape(served.port, authorization)

    assert status == 401
    assert "http_request" not in text


def test_the_shipped_nginx_refuses_metrics_even_to_the_token(served: ServedProject, request) -> None:
    nginx_port = request.getfixturevalue("nginx")
    headers = {"Authorization": f"Bearer {TOKEN}"}

    direct = served.request("GET", "/metrics", headers=headers).status
    connection = http.client.HTTPConnection("127.0.0.1", nginx_port, timeout=10)
    try:
        connection.request("GET", "/metrics", headers={**headers, "Host": "example.com"})
        through_nginx = connection.getresponse().status
    finally:
        connection.close()

    # gunicorn answers the token (the control); nginx does not pass the path on.
    assert direct == 200
    assert through_nginx == 404


@pytest.fixture(scope="module")
def worker(served: ServedProject, tmp_path_factory) -> Iterator[int]:
    """A Celery worker with two pool processes and its metrics port; yields the port."""
    port = free_port()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **served.runner.env,
        "DJANGO_DB_POOL": "false",
        # A directory of its own: the web's is gunicorn's alone.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("worker-metrics")),
        "CELERY_WORKER_METRICS_PORT": str(port),
    }
    runner = ProjectRunner(served.project, served.python, env)
    process = runner.popen([str(served.python), *WORKER_ARGS], log)
    try:
        wait_until(lambda: "ready." in log.read_text() or process.poll() is not None, 60, "the worker to start")
        assert process.poll() is None, log.read_text()
        yield port
    finally:
        kill_tree(process)


def test_a_worker_reports_a_task_it_ran(served: ServedProject, worker: int) -> None:
    served.runner.shell(f"from apps.core.tasks import {TASK.rpartition('.')[2]} as task; task.delay()")

    def finished() -> bool:
        return value(scrape(worker)[1], "celery_task_runtime_seconds_count", task=TASK, state="SUCCESS") == 1

    wait_until(finished, 60, "the task's run in the worker's metrics")
    text = scrape(worker)[1]
    assert value(text, "celery_task_queue_wait_seconds_count", task=TASK) == 1
    assert value(text, "celery_task_failures_total", task=TASK) == 0


def test_the_worker_refuses_a_scrape_without_the_token(worker: int) -> None:
    assert scrape(worker, None)[0] == 401
    assert scrape(worker, "Bearer wrong")[0] == 401


def test_gunicorn_forgets_the_figures_of_a_former_run(served: ServedProject, metrics_dir: Path) -> None:
    served.request("GET", "/healthz")
    assert any(metrics_dir.glob("histogram_*.db"))
    kill_tree(served.server)
    served.start_server()

    status, text = scrape(served.port)

    # The probe that saw gunicorn up again is all this run has served.
    assert status == 200
    assert value(text, "http_request_duration_seconds_count", route="healthz", method="GET", status="200") == 1
