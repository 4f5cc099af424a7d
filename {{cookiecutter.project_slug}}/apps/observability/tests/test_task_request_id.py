from types import SimpleNamespace

from apps.observability.request_id import current_request_id, request_id_var
from config.celery import adopt_request_id, attach_request_id, forget_request_id


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
