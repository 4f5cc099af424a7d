from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.tasks import sessions_clear_expired_task

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_removed_and_live_ones_kept() -> None:
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))

    sessions_clear_expired_task.delay()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
