import logging
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from apps.users.models import User
from apps.users.services import (
    WELCOME_EMAIL_SUBJECT,
    user_create,
    user_email_change_request,
    user_password_reset_request,
)
from apps.users.tasks import (
    user_email_change_email_send_task,
    user_password_reset_email_send_task,
    user_welcome_email_send_task,
)
from apps.users.tests.factories import UserFactory
from config.celery import app

pytestmark = pytest.mark.django_db


def test_sign_up_enqueues_the_welcome_email_only_after_commit(django_capture_on_commit_callbacks) -> None:
    with (
        mock.patch.object(user_welcome_email_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        user = user_create(email="ann@example.com", password="plausible-Horse-42")
        delay.assert_not_called()

    delay.assert_called_once_with(user_id=str(user.pk))


def test_a_broker_outage_after_sign_up_is_logged_and_the_account_stands(
    django_capture_on_commit_callbacks, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        mock.patch.object(user_welcome_email_send_task, "delay", side_effect=OperationalError("broker down")),
        caplog.at_level(logging.ERROR, logger="apps.core.transactions"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        user = user_create(email="ann@example.com", password="plausible-Horse-42")

    assert User.objects.filter(pk=user.pk).exists()
    assert [record.exc_info[0] for record in caplog.records if record.exc_info] == [OperationalError]


def test_a_reset_request_enqueues_the_address_whether_or_not_it_has_an_account(
    django_capture_on_commit_callbacks,
) -> None:
    # The lookup happens in the task, so the request does the same work for any address.
    with (
        mock.patch.object(user_password_reset_email_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        user_password_reset_request(email="Nobody@Example.com")

    delay.assert_called_once_with(email="nobody@example.com")


def test_an_email_change_enqueues_the_new_address_taken_or_not(user: User, django_capture_on_commit_callbacks) -> None:
    # Whether another account uses the address is looked up in the task, not in the request.
    UserFactory.create(email="taken@example.com")
    with (
        mock.patch.object(user_email_change_email_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        user_email_change_request(user=user, email="Taken@Example.com")

    delay.assert_called_once_with(user_id=str(user.pk), email="taken@example.com")


def test_task_sends_once_however_often_it_runs(user: User) -> None:
    user_welcome_email_send_task.delay(user_id=str(user.pk))
    user_welcome_email_send_task.delay(user_id=str(user.pk))

    assert [m.subject for m in mail.outbox] == [WELCOME_EMAIL_SUBJECT]
    assert mail.outbox[0].to == [user.email]


def test_transient_mail_error_is_retried_until_it_succeeds(user: User) -> None:
    real_send = mail.EmailMessage.send
    attempts = []

    def flaky_send(message, *args, **kwargs):
        attempts.append(message.subject)
        if len(attempts) == 1:
            raise SMTPServerDisconnected("connection dropped")
        return real_send(message, *args, **kwargs)

    with mock.patch.object(mail.EmailMessage, "send", flaky_send):
        # apply(throw=False) runs the retry in-process the way a worker would schedule it.
        result = user_welcome_email_send_task.apply(kwargs={"user_id": str(user.pk)}, throw=False)

    assert result.successful()
    assert attempts == [WELCOME_EMAIL_SUBJECT, WELCOME_EMAIL_SUBJECT]
    assert len(mail.outbox) == 1
    assert User.objects.get(pk=user.pk).welcome_email_sent_at is not None


def test_user_tasks_are_routed_to_the_critical_queue() -> None:
    route = app.amqp.router.route({}, user_welcome_email_send_task.name)

    assert route["queue"].name == "critical"


def test_unknown_user_is_not_an_error() -> None:
    user_welcome_email_send_task.delay(user_id="00000000-0000-4000-8000-000000000000")

    assert mail.outbox == []
