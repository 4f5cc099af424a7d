"""Signing up, the welcome email with its verification link, and following that link."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.users import services
from apps.users.models import User
from apps.users.selectors import user_can_authenticate
from apps.users.services import (
    MSG_VERIFY_LINK_INVALID,
    SIGNUP_NOTICE_SUBJECT,
    WELCOME_EMAIL_SUBJECT,
    user_create,
    user_deactivate,
    user_email_verify,
    user_password_reset_request,
    user_signup,
    user_update,
    user_welcome_email_send,
)
from apps.users.tests.factories import UserFactory
from apps.users.tests.services.support import PASSWORD_TOO_SHORT, STRONG_PASSWORD, links_in

pytestmark = pytest.mark.django_db


def test_sign_up_sends_the_welcome_email_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(email="ann@example.com", password=STRONG_PASSWORD, full_name="Ann Lee")
        assert mail.outbox == []

    assert [(m.subject, m.to) for m in mail.outbox] == [(WELCOME_EMAIL_SUBJECT, ["ann@example.com"])]
    assert "Hello Ann" in mail.outbox[0].body
    assert User.objects.get(pk=user.pk).welcome_email_sent_at is not None


def test_rolled_back_sign_up_sends_nothing(django_capture_on_commit_callbacks) -> None:
    def sign_up_inside_a_failing_transaction() -> None:
        with transaction.atomic():
            user_create(email="ann@example.com", password=STRONG_PASSWORD)
            raise RuntimeError("the caller fails after the service returned")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="caller fails"),
    ):
        sign_up_inside_a_failing_transaction()

    assert callbacks == []
    assert mail.outbox == []
    assert not User.objects.exists()


def test_welcome_email_is_sent_once(user: User) -> None:
    assert user_welcome_email_send(user_id=user.pk) is True
    assert user_welcome_email_send(user_id=user.pk) is False

    assert len(mail.outbox) == 1


def test_inactive_user_gets_no_welcome_email(user: User) -> None:
    user_deactivate(user=user)

    assert user_welcome_email_send(user_id=user.pk) is False
    assert mail.outbox == []


VERIFY_URL = "https://app.example.com/verify?uid={uid}&token={token}"


@pytest.fixture
def sign_up(settings, django_capture_on_commit_callbacks):
    """Sign up through the service; return the emails it sent."""
    settings.EMAIL_VERIFY_URL = VERIFY_URL

    def sign_up(email: str, password: str = STRONG_PASSWORD) -> list[mail.EmailMessage]:
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            user_signup(email=email, password=password, full_name="Ann Lee")
        return mail.outbox[sent:]

    return sign_up


def verify_link(message: mail.EmailMessage) -> tuple[str, str]:
    [link] = links_in([message], WELCOME_EMAIL_SUBJECT)
    return link


def test_accounts_made_by_services_and_commands_start_verified() -> None:
    made = user_create(email="ann@example.com", password=STRONG_PASSWORD)
    commanded = User.objects.create_user("bob@example.com", STRONG_PASSWORD)

    assert user_can_authenticate(made)
    assert user_can_authenticate(commanded)


def test_a_sign_up_is_unverified_until_its_link_is_followed(sign_up) -> None:
    [welcome] = sign_up("Ann@Example.com")
    user = User.objects.get(email="ann@example.com")
    assert welcome.subject == WELCOME_EMAIL_SUBJECT
    assert not user_can_authenticate(user)

    verified = user_email_verify(uid=verify_link(welcome)[0], token=verify_link(welcome)[1])

    assert verified.pk == user.pk
    assert user_can_authenticate(User.objects.get(pk=user.pk))


def test_a_verification_link_works_once(sign_up) -> None:
    uid, token = verify_link(sign_up("ann@example.com")[0])
    user_email_verify(uid=uid, token=token)

    with pytest.raises(ValidationError) as excinfo:
        user_email_verify(uid=uid, token=token)

    assert excinfo.value.message_dict == {"token": [MSG_VERIFY_LINK_INVALID]}


def test_a_verification_link_is_void_once_the_address_changes(sign_up) -> None:
    uid, token = verify_link(sign_up("ann@example.com")[0])
    user_update(user=User.objects.get(email="ann@example.com"), email="someone.else@example.com")

    with pytest.raises(ValidationError) as excinfo:
        user_email_verify(uid=uid, token=token)

    assert excinfo.value.message_dict == {"token": [MSG_VERIFY_LINK_INVALID]}
    assert not user_can_authenticate(User.objects.get(email="someone.else@example.com"))


def test_signing_up_with_a_taken_address_changes_nothing_and_tells_its_owner(user: User, sign_up) -> None:
    password_before = user.password

    sent = sign_up(user.email.upper())

    assert [(message.subject, message.to) for message in sent] == [(SIGNUP_NOTICE_SUBJECT, [user.email])]
    assert list(User.objects.all()) == [user]
    user.refresh_from_db()
    assert user.password == password_before


def test_a_sign_up_that_loses_the_race_for_its_address_answers_like_a_taken_one(
    user: User, sign_up, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sign-up that looked the address up just before a rival's account was committed
    lookups = iter([None])
    real_lookup = services.user_get_by_email
    monkeypatch.setattr(services, "user_get_by_email", lambda *, email: next(lookups, real_lookup(email=email)))
    monkeypatch.setattr(User, "validate_unique", lambda self, exclude=None: None)

    # When it creates the account, the unique index refuses it; then the owner is told instead
    sent = sign_up(user.email)

    assert [(message.subject, message.to) for message in sent] == [(SIGNUP_NOTICE_SUBJECT, [user.email])]
    assert list(User.objects.all()) == [user]


@pytest.mark.parametrize("taken", [False, True])
def test_a_weak_password_is_refused_alike_for_a_new_or_a_taken_address(taken: bool, sign_up) -> None:
    if taken:
        UserFactory.create(email="ann@example.com")

    with pytest.raises(ValidationError) as excinfo:
        sign_up("ann@example.com", password="short")

    assert PASSWORD_TOO_SHORT in excinfo.value.message_dict["password"]
    assert mail.outbox == []


SIGN_UPS = 12  # issue 17, finding 2: twelve sign-ups for one address sent twelve emails


def test_repeated_sign_ups_for_a_new_address_send_only_the_welcome_email(sign_up) -> None:
    sent = [message for _ in range(SIGN_UPS) for message in sign_up("ann@example.com")]

    assert [(message.subject, message.to) for message in sent] == [(WELCOME_EMAIL_SUBJECT, ["ann@example.com"])]


def test_repeated_sign_ups_for_a_taken_address_send_one_notice_per_cooldown(user: User, sign_up) -> None:
    sent = [message for _ in range(SIGN_UPS) for message in sign_up(user.email)]
    sent += sign_up(user.email.upper())

    assert [(message.subject, message.to) for message in sent] == [(SIGNUP_NOTICE_SUBJECT, [user.email])]


def test_the_sign_up_cooldown_is_per_address_and_spares_password_resets(
    user: User, sign_up, django_capture_on_commit_callbacks
) -> None:
    for _ in range(SIGN_UPS):
        sign_up(user.email)
    other = UserFactory.create(email="bob@example.com")

    assert [message.to for message in sign_up(other.email)] == [[other.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user_password_reset_request(email=user.email)
    assert [message.to for message in mail.outbox] == [[user.email]]
