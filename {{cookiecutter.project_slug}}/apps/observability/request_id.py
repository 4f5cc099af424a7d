"""One id per request, on every log line it causes, wherever it runs.

``RequestIDMiddleware`` keeps a valid incoming X-Request-ID or makes one, holds it
in a ``ContextVar`` and echoes it on the response; ``RequestIDFilter`` writes it on
every log record. Code that needs the id reads ``current_request_id()``.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# Accept what a proxy or client sends only if it is short and harmless in a log line.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(header_value: str | None) -> str:
    if header_value and VALID_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIDMiddleware:
    """Tag each request with an id: taken from X-Request-ID when valid, made otherwise.

    The id is echoed on the response and put on every log record of the request
    (see ``RequestIDFilter``), so one line in a proxy log leads to all of them.
    It is cleared when the response is closed (``request_finished``), not when
    this middleware returns: Django logs 4xx/5xx responses after the middleware
    chain, and those lines need the id most.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # META, not request.headers: that would parse every header of every request to read one.
        request_id = request_id_from(request.META.get(REQUEST_ID_META))
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def clear_request_id(**kwargs: Any) -> None:
    """``request_finished`` handler (connected in apps.py)."""
    request_id_var.set(None)


class RequestIDFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's or task's id, "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True
{%- if cookiecutter.use_celery %}


# Task signal handlers, connected in config/celery.py: a task carries the id of the request that enqueued it.
def attach_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: a task enqueued while serving a request carries that request's id."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def adopt_request_id(task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: log lines of the task carry the id of the request that enqueued it."""
    if task is None:
        return
    request_id = getattr(task.request, "request_id", None)
    if request_id:
        task.request.request_id_token = request_id_var.set(request_id)


def forget_request_id(task: Any = None, **kwargs: Any) -> None:
    """``task_postrun``: the worker's next task starts without this one's id."""
    if task is None:
        return
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
{%- endif %}
