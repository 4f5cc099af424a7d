"""Changing the login email: a link to the new address, and the move once it is followed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.users.models import User
from apps.users.services import (
    EMAIL_CHANGE_SUBJECT,
    EMAIL_CHANGED_SUBJECT,
    MSG_EMAIL_CHANGE_LINK_INVALID,
    user_email_change_confirm,
    user_email_change_request,
)
from apps.users.tests.factories import LONG_IDN_EMAIL, UserFactory
from apps.users.tests.services.support import EMAIL_TAKEN, FORGED_LINKS, STRONG_PASSWORD, encoded, links_in

pytestmark = pytest.mark.django_db

CHANGE_URL = "https://app.example.com/change?uid={uid}&token={token}"
NEW_EMAIL = "ann.new@example.com"


@pytest.fixture
def request_change(settings, django_capture_on_commit_callbacks):
    """Ask to move ``user`` to ``email``; return the (uid, token) of each confirmation link sent."""
    settings.EMAIL_CHANGE_URL = CHANGE_URL

    def request(user: User, email: str) -> list[tuple[str, str]]:
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            user_email_change_request(user=user, email=email)
        return links_in(mail.outbox[sent:], EMAIL_CHANGE_SUBJECT)

    return request


@pytest.fixture
def confirm_change(django_capture_on_commit_callbacks):
    def confirm(uid: str, token: str) -> User:
        with django_capture_on_commit_callbacks(execute=True):
            return user_email_change_confirm(uid=uid, token=token)

    return confirm


def test_the_login_email_changes_only_once_the_new_address_confirms_it(request_change, confirm_change) -> None:
    # Given an account whose address was verified long ago
    verified_before = timezone.now() - timedelta(days=30)
    user = UserFactory.create(email="ann@example.com", email_verified_at=verified_before)

    # When its owner asks for a new address, the link goes there and nothing changes yet
    [(uid, token)] = request_change(user, "Ann.New@Example.com")
    assert mail.outbox[-1].to == [NEW_EMAIL]
    assert User.objects.get(pk=user.pk).email == "ann@example.com"

    # Then following the link moves the login, verified, and the old address is told
    confirm_change(uid, token)
    changed = User.objects.get(pk=user.pk)
    assert changed.email == NEW_EMAIL
    assert changed.email_verified_at is not None
    assert changed.email_verified_at > verified_before
    notice = mail.outbox[-1]
    assert (notice.subject, notice.to) == (EMAIL_CHANGED_SUBJECT, ["ann@example.com"])
    assert NEW_EMAIL in notice.body


def test_an_email_change_link_works_once(user: User, request_change, confirm_change) -> None:
    [(uid, token)] = request_change(user, NEW_EMAIL)
    confirm_change(uid, token)

    with pytest.raises(ValidationError) as excinfo:
        confirm_change(uid, token)

    assert excinfo.value.message_dict == {"token": [MSG_EMAIL_CHANGE_LINK_INVALID]}


def test_a_password_change_voids_a_pending_email_change(user: User, request_change, confirm_change) -> None:
    # Given a change asked for by whoever held the password before the owner changed it
    original = user.email
    [(uid, token)] = request_change(user, NEW_EMAIL)
    user.set_password(STRONG_PASSWORD)
    user.save(update_fields=["password"])

    with pytest.raises(ValidationError) as excinfo:
        confirm_change(uid, token)

    assert excinfo.value.message_dict == {"token": [MSG_EMAIL_CHANGE_LINK_INVALID]}
    assert User.objects.get(pk=user.pk).email == original


def test_an_expired_email_change_link_is_refused(user: User, request_change, confirm_change, settings) -> None:
    [(uid, token)] = request_change(user, NEW_EMAIL)
    settings.PASSWORD_RESET_TIMEOUT = -1

    with pytest.raises(ValidationError) as excinfo:
        confirm_change(uid, token)

    assert excinfo.value.message_dict == {"token": [MSG_EMAIL_CHANGE_LINK_INVALID]}


def test_a_link_made_for_one_account_does_not_move_another(request_change, confirm_change) -> None:
    ann, bob = UserFactory.create(email="ann@example.com"), UserFactory.create(email="bob@example.com")
    [(_, token)] = request_change(ann, NEW_EMAIL)

    with pytest.raises(ValidationError) as excinfo:
        confirm_change(encoded(str(bob.pk)), token)

    assert excinfo.value.message_dict == {"token": [MSG_EMAIL_CHANGE_LINK_INVALID]}
    assert User.objects.get(pk=bob.pk).email == "bob@example.com"


# The last: a token shaped like a signed one (address, timestamp, signature), signed by nobody.
@pytest.mark.parametrize(
    ("uid", "token"), [*FORGED_LINKS, ("USER", "ImFubi5uZXdAZXhhbXBsZS5jb20i:1vPqRs:forged-signature")]
)
def test_a_forged_email_change_link_is_refused(user: User, confirm_change, uid: str, token: str) -> None:
    original = user.email
    uid = encoded(str(user.pk)) if uid == "USER" else uid

    with pytest.raises(ValidationError) as excinfo:
        confirm_change(uid, token)

    assert excinfo.value.message_dict == {"token": [MSG_EMAIL_CHANGE_LINK_INVALID]}
    assert User.objects.get(pk=user.pk).email == original
    assert mail.outbox == []


def test_no_link_for_an_address_another_account_uses(user: User, request_change) -> None:
    other = UserFactory.create(email="taken@example.com")

    assert request_change(user, "Taken@Example.com") == []
    assert User.objects.get(pk=other.pk).email == "taken@example.com"


def test_asking_for_the_address_in_use_sends_nothing(user: User, request_change) -> None:
    assert request_change(user, user.email.upper()) == []


def test_an_invalid_address_is_an_email_error(user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        user_email_change_request(user=user, email="not an address")

    assert list(excinfo.value.message_dict) == ["email"]


@pytest.mark.parametrize("new_email", [NEW_EMAIL, LONG_IDN_EMAIL])
def test_one_email_change_link_per_address_per_cooldown(user: User, request_change, new_email: str) -> None:
    assert len(request_change(user, new_email)) == 1

    assert request_change(user, new_email) == []
    assert request_change(user, new_email.upper()) == []


def test_an_address_taken_after_its_link_was_sent_is_refused_and_changes_nothing(
    user: User, request_change, confirm_change
) -> None:
    original = user.email
    [(uid, token)] = request_change(user, NEW_EMAIL)
    UserFactory.create(email=NEW_EMAIL)
    sent = len(mail.outbox)

    with pytest.raises(ValidationError) as excinfo:
        confirm_change(uid, token)

    assert excinfo.value.message_dict == {"email": [EMAIL_TAKEN]}
    assert User.objects.get(pk=user.pk).email == original
    assert len(mail.outbox) == sent
