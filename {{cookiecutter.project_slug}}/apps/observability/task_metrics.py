"""Prometheus metrics of Celery tasks, and the worker's own metrics endpoint.

The signal handlers below are connected in config/celery.py. Queue wait is the time
from publishing (a header stamped by ``stamp_enqueue_time``) to the start of the run,
so it includes countdowns and retry delays; it is measured for tasks that went
through the broker, not for eager ones.

A worker serves no HTTP, so it answers scrapes on a port of its own
(``CELERY_WORKER_METRICS_PORT``), with the same bearer token as the web's
``/metrics``. Its pool processes write their figures to PROMETHEUS_MULTIPROC_DIR,
which the worker's main process reads: the variable must be set in the worker's
environment before it starts (the image sets it), to a directory of its own.
"""

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from prometheus_client import Counter, Histogram, multiprocess

from apps.observability.metrics import authorized, exposition

logger = logging.getLogger(__name__)

ENQUEUED_AT_HEADER = "enqueued_at"

TASK_RUNTIME = Histogram(
    "celery_task_runtime_seconds",
    "Time a task ran, by task name and final state.",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TASK_QUEUE_WAIT = Histogram(
    "celery_task_queue_wait_seconds",
    "Time from publishing a task to the start of its run.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
TASK_RETRIES = Counter("celery_task_retries_total", "Retries scheduled, by task name.", ["task"])
TASK_FAILURES = Counter("celery_task_failures_total", "Runs that raised, by task name.", ["task"])


def stamp_enqueue_time(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: the message carries the time it was published (a retry gets a new one)."""
    if headers is not None:
        headers[ENQUEUED_AT_HEADER] = time.time()


def start_task_clock(task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: observe the queue wait; start timing the run."""
    if task is None:
        return
    enqueued_at = getattr(task.request, ENQUEUED_AT_HEADER, None)
    if isinstance(enqueued_at, int | float):
        # Clocks of two hosts disagree a little: a negative wait is a zero one.
        TASK_QUEUE_WAIT.labels(task.name).observe(max(0.0, time.time() - enqueued_at))
    task.request.metrics_started = time.perf_counter()


def stop_task_clock(task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    """``task_postrun``: observe the run time under the state the task ended in."""
    started = getattr(getattr(task, "request", None), "metrics_started", None)
    if started is not None:
        TASK_RUNTIME.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)


def count_retry(sender: Any = None, **kwargs: Any) -> None:
    """``task_retry``: the sender is the task."""
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


def count_failure(sender: Any = None, **kwargs: Any) -> None:
    """``task_failure``: the sender is the task."""
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def forget_pool_process(**kwargs: Any) -> None:
    """``worker_process_shutdown``: a pool process's live gauges stop counting."""
    if settings.METRICS_MULTIPROC_DIR:
        multiprocess.mark_process_dead(os.getpid())


def metrics_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """WSGI: the worker's figures to a bearer of the metrics token, 401 to anyone else."""
    if environ.get("PATH_INFO") != "/metrics":
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    if not authorized(environ.get("HTTP_AUTHORIZATION")):
        start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="metrics"'), ("Content-Length", "0")])
        return [b""]
    content_type, body = exposition(environ.get("HTTP_ACCEPT"))
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # One line per scrape, every few seconds, would drown the worker's own log.
        return


def clear_metrics_dir(directory: Path) -> None:
    """Drop figures a former run of this worker left: they would add to this run's."""
    for stale in directory.glob("*.db"):
        if not stale.stem.endswith(f"_{os.getpid()}"):
            stale.unlink()


def serve_worker_metrics(**kwargs: Any) -> WSGIServer | None:
    """``worker_init``: answer scrapes on the worker's metrics port, when the token and the directory are set."""
    if settings.METRICS_MULTIPROC_DIR:
        # prometheus_client writes there from the first task on, scraped or not, and does not make the
        # directory: a fresh emptyDir /tmp (the Kubernetes manifests) has no /tmp/prometheus.
        Path(settings.METRICS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    port = settings.CELERY_WORKER_METRICS_PORT
    if not (port and settings.METRICS_TOKEN):
        return None
    if not settings.METRICS_MULTIPROC_DIR:
        logger.warning("Task metrics are off: set PROMETHEUS_MULTIPROC_DIR for the worker, to a directory of its own")
        return None
    clear_metrics_dir(Path(settings.METRICS_MULTIPROC_DIR))
    server = make_server(settings.CELERY_WORKER_METRICS_ADDR, port, metrics_app, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    return server
