from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
{%- if cookiecutter.use_drf %}
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
{%- endif %}

from apps.core.tasks import {% if cookiecutter.use_drf %}jwt_blacklist_flush_expired_task, {% endif %}sessions_clear_expired_task

pytestmark = pytest.mark.django_db


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
