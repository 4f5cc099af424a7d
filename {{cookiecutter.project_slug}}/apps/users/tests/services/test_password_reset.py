"""Asking for a password reset link and setting a new password with it."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from apps.users.models import User
from apps.users.selectors import user_can_authenticate
from apps.users.services import (
    MSG_RESET_LINK_INVALID,
    RESET_EMAIL_SUBJECT,
    user_create,
    user_password_reset_confirm,
    user_password_reset_request,
)
from apps.users.tests.factories import DEFAULT_PASSWORD, LONG_IDN_EMAIL, UserFactory
from apps.users.tests.services.support import (
    FORGED_LINKS,
    PASSWORD_TOO_SHORT,
    STRONG_PASSWORD,
    encoded,
    links_in,
)

pytestmark = pytest.mark.django_db

RESET_URL = "https://app.example.com/reset?uid={uid}&token={token}"


@pytest.fixture
def request_reset(settings, django_capture_on_commit_callbacks):
    """Ask for a reset link for ``email``; return the (uid, token) pairs of the emails sent."""
    settings.PASSWORD_RESET_URL = RESET_URL

    def request(email: str) -> list[tuple[str, str]]:
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            user_password_reset_request(email=email)
        return links_in(mail.outbox[sent:], RESET_EMAIL_SUBJECT)

    return request


def test_a_reset_link_sets_a_new_password(user: User, request_reset) -> None:
    [(uid, token)] = request_reset(user.email.upper())

    user_password_reset_confirm(uid=uid, token=token, password=STRONG_PASSWORD)

    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)
    assert mail.outbox[0].to == [user.email]


def test_a_reset_link_works_once(user: User, request_reset) -> None:
    [(uid, token)] = request_reset(user.email)
    user_password_reset_confirm(uid=uid, token=token, password=STRONG_PASSWORD)

    with pytest.raises(ValidationError) as excinfo:
        user_password_reset_confirm(uid=uid, token=token, password="another-Horse-43")

    assert excinfo.value.message_dict == {"token": [MSG_RESET_LINK_INVALID]}
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)


@pytest.mark.parametrize("account", ["none", "inactive", "no password"])
def test_no_reset_email_without_an_active_account_that_logs_in_with_a_password(account: str, request_reset) -> None:
    if account == "inactive":
        UserFactory.create(email="ann@example.com", is_active=False)
    elif account == "no password":
        user_create(email="ann@example.com")
    mail.outbox.clear()

    assert request_reset("ann@example.com") == []


def test_one_reset_email_per_address_per_cooldown(user: User, request_reset) -> None:
    assert len(request_reset(user.email)) == 1

    assert request_reset(user.email) == []
    assert request_reset(user.email.upper()) == []


def test_the_cooldown_holds_for_the_longest_addresses(request_reset) -> None:
    user = UserFactory.create(email=LONG_IDN_EMAIL)

    assert len(request_reset(user.email)) == 1
    assert request_reset(user.email) == []


def test_an_expired_reset_link_is_refused(user: User, request_reset, settings) -> None:
    [(uid, token)] = request_reset(user.email)
    settings.PASSWORD_RESET_TIMEOUT = -1

    with pytest.raises(ValidationError) as excinfo:
        user_password_reset_confirm(uid=uid, token=token, password=STRONG_PASSWORD)

    assert excinfo.value.message_dict == {"token": [MSG_RESET_LINK_INVALID]}


@pytest.mark.parametrize(("uid", "token"), FORGED_LINKS)
def test_a_forged_reset_link_is_refused_and_changes_nothing(user: User, uid: str, token: str) -> None:
    uid = encoded(str(user.pk)) if uid == "USER" else uid

    with pytest.raises(ValidationError) as excinfo:
        user_password_reset_confirm(uid=uid, token=token, password=STRONG_PASSWORD)

    assert excinfo.value.message_dict == {"token": [MSG_RESET_LINK_INVALID]}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_weak_new_password_is_a_password_error_and_the_link_still_works(user: User, request_reset) -> None:
    [(uid, token)] = request_reset(user.email)

    with pytest.raises(ValidationError) as excinfo:
        user_password_reset_confirm(uid=uid, token=token, password="short")

    assert PASSWORD_TOO_SHORT in excinfo.value.message_dict["password"]
    user_password_reset_confirm(uid=uid, token=token, password=STRONG_PASSWORD)


def test_a_reset_link_also_verifies_the_address(request_reset) -> None:
    user = user_create(email="ann@example.com", password=DEFAULT_PASSWORD, email_verified=False)
    [(uid, token)] = request_reset(user.email)

    user_password_reset_confirm(uid=uid, token=token, password=STRONG_PASSWORD)

    user.refresh_from_db()
    assert user_can_authenticate(user)
