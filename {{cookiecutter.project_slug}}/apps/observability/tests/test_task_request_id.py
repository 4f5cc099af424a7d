from types import SimpleNamespace

from celery.signals import before_task_publish

from apps.observability.request_id import (
    adopt_request_id,
    attach_request_id,
    current_request_id,
    forget_request_id,
    request_id_var,
)


def test_task_published_during_a_request_carries_its_id() -> None:
    headers: dict[str, str] = {}
    token = request_id_var.set("trace-0123456789")
    try:
        attach_request_id(headers=headers)
    finally:
        request_id_var.reset(token)

    assert headers == {"request_id": "trace-0123456789"}


def test_task_published_outside_a_request_carries_none() -> None:
    headers: dict[str, str] = {}

    attach_request_id(headers=headers)

    assert headers == {}


def test_worker_adopts_the_id_for_the_task_and_forgets_it_after() -> None:
    task = SimpleNamespace(request=SimpleNamespace(request_id="trace-0123456789"))

    adopt_request_id(task=task)
    during = current_request_id()
    forget_request_id(task=task)

    assert during == "trace-0123456789"
    assert current_request_id() is None


def test_the_celery_app_connects_the_publishing_handler() -> None:
    # Sent as Celery sends it when a task is enqueued; config/celery.py connects the handler.
    headers: dict[str, str] = {}
    token = request_id_var.set("trace-0123456789")
    try:
        before_task_publish.send(sender="apps.users.tasks.any_task", headers=headers, body=(), exchange="")
    finally:
        request_id_var.reset(token)

    assert headers["request_id"] == "trace-0123456789"
