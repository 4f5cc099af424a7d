import logging
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone
{%- if cookiecutter.use_drf %}
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
{%- endif %}

from apps.core.tasks import (
    MAX_UNFINISHED_DELIVERIES,
    MSG_POISON_COPY_DROPPED,
    MSG_POISON_DROPPED,
{%- if cookiecutter.use_drf %}
    jwt_blacklist_flush_expired_task,
{%- endif %}
    sessions_clear_expired_task,
    unfinished_deliveries_key,
)
from config.celery import app

pytestmark = pytest.mark.django_db

# Where workers are started, each with the queues it consumes ("-Q critical,default").
WORKER_COMMANDS = [
    name for name in ("Makefile", "compose.yml", "compose.production.yml") if (settings.BASE_DIR / name).exists()
]
QUEUES_OPTION = re.compile(r'-Q(?:",)?\s*"?([\w,]+)')


def test_expired_sessions_are_removed_and_live_ones_kept() -> None:
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))

    sessions_clear_expired_task.delay()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
{%- if cookiecutter.use_drf %}


def test_expired_outstanding_tokens_are_flushed(user) -> None:
    live = RefreshToken.for_user(user)
    expired = RefreshToken.for_user(user)
    OutstandingToken.objects.filter(jti=expired["jti"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    jwt_blacklist_flush_expired_task.delay()

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
{%- endif %}


def test_every_scheduled_task_is_a_registered_task() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled
    assert scheduled <= set(app.tasks)


@pytest.mark.parametrize("command_file", WORKER_COMMANDS)
def test_workers_consume_every_queue_a_task_is_sent_to(command_file: str) -> None:
    text = (settings.BASE_DIR / command_file).read_text()
    consumed = {queue for option in QUEUES_OPTION.findall(text) for queue in option.split(",")}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}

    assert consumed
    assert routed <= consumed


def expired_session() -> Session:
    yesterday = timezone.now() - timedelta(days=1)
    return Session.objects.create(session_key="expired", session_data="", expire_date=yesterday)


def test_a_delivery_that_finishes_leaves_no_count() -> None:
    expired_session()

    sessions_clear_expired_task.apply(task_id="finishes")

    assert not Session.objects.exists()
    assert cache.get(unfinished_deliveries_key("finishes")) is None


def poison_log(caplog) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "apps.core.tasks"]


def test_a_message_is_dropped_with_one_error_however_many_copies_come_back(caplog) -> None:
    # Given: every earlier delivery died with its worker, so none cleared its count.
    expired_session()
    cache.set(unfinished_deliveries_key("poison"), MAX_UNFINISHED_DELIVERIES)

    # When: it is delivered once more, and then two more copies of it come back.
    with caplog.at_level(logging.WARNING, logger="apps.core.tasks"):
        for _ in range(3):
            sessions_clear_expired_task.apply(task_id="poison")

    # Then: none runs the task; the first drop is the error, the copies only a warning.
    name = sessions_clear_expired_task.name
    assert Session.objects.filter(session_key="expired").exists()
    assert poison_log(caplog) == [
        (logging.ERROR, MSG_POISON_DROPPED % (name, "poison", MAX_UNFINISHED_DELIVERIES)),
        (logging.WARNING, MSG_POISON_COPY_DROPPED % (name, "poison")),
        (logging.WARNING, MSG_POISON_COPY_DROPPED % (name, "poison")),
    ]


def test_a_message_is_dropped_however_slowly_its_deliveries_come_back(monkeypatch, caplog) -> None:
    # Given: deliveries that died with their worker, each coming back two visibility timeouts
    # after the last (a worker slow to notice the death, a copy waiting behind a backlog).
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    with monkeypatch.context() as dying:
        dying.setattr(cache, "delete", lambda key: None)  # a dead worker never clears the count
        for _ in range(MAX_UNFINISHED_DELIVERIES):
            sessions_clear_expired_task.apply(task_id="slow-poison")
            now += 2 * visibility_timeout
    expired_session()

    # When: it comes back once more.
    with caplog.at_level(logging.WARNING, logger="apps.core.tasks"):
        sessions_clear_expired_task.apply(task_id="slow-poison")

    # Then: it is dropped, not counted afresh.
    dropped = MSG_POISON_DROPPED % (sessions_clear_expired_task.name, "slow-poison", MAX_UNFINISHED_DELIVERIES)
    assert Session.objects.filter(session_key="expired").exists()
    assert poison_log(caplog) == [(logging.ERROR, dropped)]


def test_a_message_under_the_limit_runs_again() -> None:
    expired_session()
    cache.set(unfinished_deliveries_key("survivor"), MAX_UNFINISHED_DELIVERIES - 1)

    sessions_clear_expired_task.apply(task_id="survivor")

    assert not Session.objects.exists()
    assert cache.get(unfinished_deliveries_key("survivor")) is None


def test_a_task_that_fails_clears_its_count(monkeypatch) -> None:
    def fail(*args, **kwargs) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("apps.core.tasks.call_command", fail)

    with pytest.raises(RuntimeError):
        sessions_clear_expired_task.apply(task_id="fails")

    assert cache.get(unfinished_deliveries_key("fails")) is None


def test_a_task_runs_when_the_cache_cannot_count(monkeypatch) -> None:
    # django-redis with IGNORE_EXCEPTIONS answers None while Redis is down.
    expired_session()
    monkeypatch.setattr(cache, "incr", lambda *args, **kwargs: None)

    sessions_clear_expired_task.apply(task_id="no-cache")

    assert not Session.objects.exists()
