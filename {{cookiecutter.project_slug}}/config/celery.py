"""The Celery application. Workers get production settings unless told otherwise."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, task_postrun, task_prerun

from apps.core.request_id import current_request_id, request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery({{ cookiecutter.project_slug | pystr }})
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def attach_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task enqueued while serving a request carries that request's id."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@task_prerun.connect
def adopt_request_id(task: Task | None = None, **kwargs: Any) -> None:
    """Log lines of the task carry the id of the request that enqueued it."""
    if task is None:
        return
    request_id = getattr(task.request, "request_id", None)
    if request_id:
        task.request.request_id_token = request_id_var.set(request_id)


@task_postrun.connect
def forget_request_id(task: Task | None = None, **kwargs: Any) -> None:
    if task is None:
        return
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
