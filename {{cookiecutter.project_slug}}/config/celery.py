"""The Celery application. Workers get production settings unless told otherwise."""

import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    worker_init,
    worker_process_shutdown,
)

from apps.observability import task_metrics
from apps.observability.request_id import adopt_request_id, attach_request_id, forget_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery({{ cookiecutter.project_slug | pystr }}, task_cls="apps.core.tasks:DeliveryCountingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task carries the id of the request that enqueued it (apps/observability/request_id.py).
before_task_publish.connect(attach_request_id)
task_prerun.connect(adopt_request_id)
task_postrun.connect(forget_request_id)

# Prometheus metrics of tasks, and the worker's metrics port (apps/observability/task_metrics.py).
before_task_publish.connect(task_metrics.stamp_enqueue_time)
task_prerun.connect(task_metrics.start_task_clock)
task_postrun.connect(task_metrics.stop_task_clock)
task_retry.connect(task_metrics.count_retry)
task_failure.connect(task_metrics.count_failure)
worker_process_shutdown.connect(task_metrics.forget_pool_process)
worker_init.connect(task_metrics.serve_worker_metrics)
