import pytest

from apps.core.tasks import RETRY_TRANSIENT_ERRORS, task

calls: list[str] = []


@task(**RETRY_TRANSIENT_ERRORS)
def note_task(*, text: str) -> str:
    """A task's docstring."""
    calls.append(text)
    return text.upper()


@pytest.fixture(autouse=True)
def no_calls() -> None:
    calls.clear()


def test_delay_runs_the_task_at_once() -> None:
    assert note_task.delay(text="sent") == "SENT"

    assert calls == ["sent"]


def test_a_task_is_still_a_plain_function() -> None:
    assert note_task(text="called") == "CALLED"

    assert calls == ["called"]
    assert note_task.__doc__ == "A task's docstring."
    assert repr(note_task) == f"<task {__name__}.note_task>"


@task()
def mail_task() -> None:
    raise ConnectionError("mail server down")


def test_what_a_task_raises_reaches_the_caller() -> None:
    with pytest.raises(ConnectionError):
        mail_task.delay()
