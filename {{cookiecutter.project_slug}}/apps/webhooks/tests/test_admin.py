import pytest
from django.test import Client
from django.urls import reverse

from apps.webhooks import handlers
from apps.webhooks.models import InboundEvent
from apps.webhooks.tests.factories import InboundEventFactory

pytestmark = pytest.mark.django_db


def test_a_failed_event_is_listed_and_re_run_from_the_admin(
    admin_client: Client, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    failed = InboundEventFactory.create(status=InboundEvent.Status.FAILED, attempts=3, last_error="RuntimeError: down")
    processed = InboundEventFactory.create(status=InboundEvent.Status.PROCESSED)
    monkeypatch.setitem(handlers.HANDLERS, ("billing", "invoice.paid"), lambda event: None)
    changelist = reverse("admin:webhooks_inboundevent_changelist")

    listed = admin_client.get(changelist, {"status__exact": "failed"})
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(
            changelist, {"action": "rerun", "_selected_action": [failed.pk, processed.pk]}, follow=True
        )

    assert failed.event_id in listed.content.decode()
    assert processed.event_id not in listed.content.decode()
    messages = [str(message) for message in answer.context["messages"]]
    assert messages == ["Events queued again: 1.", "Skipped 1 event(s) already processed or ignored."]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("processed", 4)


@pytest.mark.parametrize("model", ["inboundevent", "webhookendpoint", "webhookdelivery"])
def test_each_admin_page_opens(admin_client: Client, model: str) -> None:
    assert admin_client.get(reverse(f"admin:webhooks_{model}_changelist")).status_code == 200
