import http.client
import os
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.signals import before_task_publish, task_retry
from django.test import Client

from apps.core.tasks import sessions_clear_expired_task
from apps.observability import task_metrics
from apps.observability.tests.metrics_scrape import METRICS_TOKEN, grown, scrape

TASK_NAME = sessions_clear_expired_task.name


@pytest.fixture(autouse=True)
def _metrics_token(settings) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN


def test_a_task_run_is_timed_under_its_name_and_state(db: None, client: Client) -> None:
    before = scrape(client)

    sessions_clear_expired_task.delay()
    after = scrape(client)

    assert grown(before, after, "celery_task_runtime_seconds_count", task=TASK_NAME, state="SUCCESS") == 1


def test_a_failing_task_is_counted(db: None, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("apps.core.tasks.call_command", broken)
    before = scrape(client)

    # Run as a worker runs it: the error is recorded, not raised to the caller.
    result = sessions_clear_expired_task.apply(throw=False)
    after = scrape(client)

    assert result.failed()

    assert grown(before, after, "celery_task_failures_total", task=TASK_NAME) == 1
    assert grown(before, after, "celery_task_runtime_seconds_count", task=TASK_NAME, state="FAILURE") == 1


def test_the_celery_app_counts_retries(client: Client) -> None:
    before = scrape(client)

    task_retry.send(sender=sessions_clear_expired_task, request=SimpleNamespace(), reason="down", einfo=None)
    after = scrape(client)

    assert grown(before, after, "celery_task_retries_total", task=TASK_NAME) == 1


def test_queue_wait_runs_from_publishing_to_the_start_of_the_run(client: Client) -> None:
    headers: dict[str, float] = {}
    before_task_publish.send(sender=TASK_NAME, headers=headers, body=(), exchange="")
    # The message waited in the queue for ten seconds before a worker took it.
    task = SimpleNamespace(name=TASK_NAME, request=SimpleNamespace(enqueued_at=headers["enqueued_at"] - 10))
    before = scrape(client)

    task_metrics.start_task_clock(task=task)
    after = scrape(client)

    assert grown(before, after, "celery_task_queue_wait_seconds_count", task=TASK_NAME) == 1
    assert 10 <= grown(before, after, "celery_task_queue_wait_seconds_sum", task=TASK_NAME) < 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/metrics", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_worker_serves_its_metrics_to_the_token_alone(settings, tmp_path: Path) -> None:
    settings.METRICS_MULTIPROC_DIR = str(tmp_path)
    settings.CELERY_WORKER_METRICS_PORT = free_port()
    stale = tmp_path / "counter_999999999.db"
    stale.write_bytes(b"")

    server = task_metrics.serve_worker_metrics()
    assert server is not None
    try:
        anonymous = get(settings.CELERY_WORKER_METRICS_PORT, {})
        wrong = get(settings.CELERY_WORKER_METRICS_PORT, {"Authorization": "Bearer wrong"})
        bearer = get(settings.CELERY_WORKER_METRICS_PORT, {"Authorization": f"Bearer {METRICS_TOKEN}"})
    finally:
        server.shutdown()
        server.server_close()

    assert (anonymous.status, wrong.status, bearer.status) == (401, 401, 200)
    assert bearer.headers["Content-Type"].startswith("text/plain")
    assert not stale.exists()


def test_the_worker_serves_nothing_without_a_token(settings) -> None:
    settings.METRICS_TOKEN = ""

    assert task_metrics.serve_worker_metrics() is None


def test_a_worker_makes_its_metrics_directory_when_it_is_missing(settings, tmp_path: Path) -> None:
    # Given a directory that does not exist yet, as /tmp/prometheus in a fresh emptyDir
    directory = tmp_path / "prometheus"
    settings.METRICS_MULTIPROC_DIR = str(directory)
    settings.METRICS_TOKEN = ""

    # When the worker starts
    task_metrics.serve_worker_metrics()

    # Then the tasks' figures have somewhere to go
    assert directory.is_dir()


def test_stale_figures_of_other_processes_are_dropped_not_ours(tmp_path: Path) -> None:
    ours = tmp_path / f"counter_{os.getpid()}.db"
    theirs = tmp_path / "histogram_1.db"
    ours.write_bytes(b"")
    theirs.write_bytes(b"")

    task_metrics.clear_metrics_dir(tmp_path)

    assert ours.exists()
    assert not theirs.exists()
