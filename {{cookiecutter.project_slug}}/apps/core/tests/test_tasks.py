import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
{%- if cookiecutter.use_drf %}
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
{%- endif %}

from apps.core.tasks import {% if cookiecutter.use_drf %}jwt_blacklist_flush_expired_task, {% endif %}sessions_clear_expired_task
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
