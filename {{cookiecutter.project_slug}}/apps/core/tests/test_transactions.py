"""on_commit_robust: what follows a commit may fail without failing what committed."""

import logging
from typing import Any

import pytest
from django.db import transaction

from apps.core.transactions import on_commit_robust

# Real commits: the callbacks run when the outermost atomic block ends, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def broker_down(**kwargs: Any) -> None:
    raise ConnectionError("broker unreachable")


def test_a_failure_after_the_commit_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[dict[str, Any]] = []

    with caplog.at_level(logging.ERROR, logger="apps.core.transactions"), transaction.atomic():
        on_commit_robust(broker_down, email="ann@example.com")
        on_commit_robust(lambda **kwargs: ran.append(kwargs), order_id="o-1")

    # The next callback still ran; the failure is logged with its traceback, and without its arguments.
    assert ran == [{"order_id": "o-1"}]
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[0] is ConnectionError
    assert "broker_down" in record.getMessage()
    assert "ann@example.com" not in record.getMessage()


def test_nothing_runs_when_the_transaction_rolls_back() -> None:
    ran: list[dict[str, Any]] = []

    with transaction.atomic():
        on_commit_robust(lambda **kwargs: ran.append(kwargs))
        transaction.set_rollback(True)

    assert ran == []
