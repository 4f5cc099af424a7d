import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.users import services
from apps.users.models import User
from apps.users.selectors import user_can_authenticate, user_stats
from apps.users.services import (
    EMAIL_CHANGE_SUBJECT,
    EMAIL_CHANGED_SUBJECT,
    MSG_EMAIL_CHANGE_LINK_INVALID,
    MSG_RESET_LINK_INVALID,
    MSG_VERIFY_LINK_INVALID,
    RESET_EMAIL_SUBJECT,
    SIGNUP_NOTICE_SUBJECT,
    WELCOME_EMAIL_SUBJECT,
    user_create,
    user_deactivate,
    user_email_change_confirm,
    user_email_change_request,
    user_email_verify,
    user_password_reset_confirm,
    user_password_reset_request,
    user_signup,
    user_update,
    user_welcome_email_send,
)
from apps.users.tests.factories import DEFAULT_PASSWORD, LONG_IDN_EMAIL, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "plausible-Horse-42"
PASSWORD_TOO_SHORT = "This password is too short. It must contain at least 8 characters."
EMAIL_TAKEN = "User with this Email address already exists."


def test_user_create_normalises_email_and_hashes_password() -> None:
    user = user_create(email=" Ann@Example.COM ", password=STRONG_PASSWORD, full_name="Ann Lee")

    stored = User.objects.get(pk=user.pk)
    assert stored.email == "ann@example.com"
    assert stored.full_name == "Ann Lee"
    assert stored.password != STRONG_PASSWORD
    assert stored.check_password(STRONG_PASSWORD)


def test_user_create_without_password_cannot_log_in() -> None:
    user = user_create(email="invited@example.com")

    assert not user.has_usable_password()


def test_user_create_rejects_taken_email_in_any_case() -> None:
    UserFactory.create(email="ann@example.com")

    with pytest.raises(ValidationError) as excinfo:
        user_create(email="ANN@example.com", password=STRONG_PASSWORD)

    assert "email" in excinfo.value.message_dict
    assert User.objects.count() == 1


def test_user_create_losing_the_race_for_an_email_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a sign-up whose uniqueness check ran before a rival's row was committed
    UserFactory.create(email="ann@example.com")
    monkeypatch.setattr(User, "validate_unique", lambda self, exclude=None: None)

    # When it saves
    with pytest.raises(ValidationError) as excinfo:
        user_create(email="ann@example.com", password=STRONG_PASSWORD)

    # Then the unique index's refusal reads like full_clean's, and nothing was added
    assert excinfo.value.message_dict["email"] == [EMAIL_TAKEN]
    assert User.objects.count() == 1


def test_user_update_losing_the_race_for_an_email_keeps_the_old_one(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = user.email
    other = UserFactory.create()
    monkeypatch.setattr(User, "validate_unique", lambda self, exclude=None: None)

    with pytest.raises(ValidationError) as excinfo:
        user_update(user=user, email=other.email)

    assert excinfo.value.message_dict["email"] == [EMAIL_TAKEN]
    assert user.email == original
    assert User.objects.get(pk=user.pk).email == original


def test_user_create_rejects_weak_password_and_writes_nothing() -> None:
    with pytest.raises(ValidationError) as excinfo:
        user_create(email="ann@example.com", password="123")

    assert PASSWORD_TOO_SHORT in excinfo.value.message_dict["password"]
    assert not User.objects.exists()


def test_user_create_rejects_invalid_email() -> None:
    with pytest.raises(ValidationError) as excinfo:
        user_create(email="not-an-email", password=STRONG_PASSWORD)

    assert excinfo.value.message_dict["email"] == ["Enter a valid email address."]


def test_user_update_writes_only_what_changed(user: User) -> None:
    before = User.objects.get(pk=user.pk).updated_at

    user_update(user=user, full_name="New Name")

    stored = User.objects.get(pk=user.pk)
    assert stored.full_name == "New Name"
    assert stored.updated_at > before


def test_user_update_with_nothing_new_does_not_touch_the_row(user: User) -> None:
    before = User.objects.get(pk=user.pk).updated_at

    user_update(user=user, full_name=user.full_name, email=user.email.upper())

    assert User.objects.get(pk=user.pk).updated_at == before


def test_user_update_refuses_an_email_owned_by_someone_else(user: User) -> None:
    original = user.email
    other = UserFactory.create()

    with pytest.raises(ValidationError) as excinfo:
        user_update(user=user, email=other.email, full_name="Changed")

    assert excinfo.value.message_dict["email"] == [EMAIL_TAKEN]
    assert user.email == original
    assert user.full_name != "Changed"
    assert User.objects.get(pk=user.pk).email == original


def test_user_deactivate_keeps_the_account(user: User) -> None:
    user_deactivate(user=user)
    user_deactivate(user=user)

    stored = User.objects.get(pk=user.pk)
    assert stored.is_active is False


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


def test_writes_clear_the_cached_stats_after_commit(django_capture_on_commit_callbacks) -> None:
    assert user_stats() == {"total": 0, "active": 0, "staff": 0}

    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(email="ann@example.com", password=STRONG_PASSWORD, is_staff=True)
    assert user_stats() == {"total": 1, "active": 1, "staff": 1}

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=user)
    assert user_stats() == {"total": 1, "active": 0, "staff": 1}


# --- password reset ---------------------------------------------------------------


def links_in(messages: list[mail.EmailMessage], subject: str) -> list[tuple[str, str]]:
    """The (uid, token) of the link in each message; every message must have ``subject``."""
    links = []
    for message in messages:
        assert message.subject == subject
        [url] = [word for word in message.body.split() if word.startswith("https://app.example.com/")]
        query = parse_qs(urlsplit(url).query)
        links.append((query["uid"][0], query["token"][0]))
    return links


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


def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Links no email carried: undecodable, naming nobody, or "USER" (the test's account) with a made-up token.
FORGED_LINKS = [
    ("", ""),
    ("!!not-base64!!", "x"),
    (encoded("not-a-uuid"), "x"),
    (encoded("00000000-0000-0000-0000-000000000000"), "x"),
    ("USER", "1-forged"),
]


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


# --- sign-up and verification -----------------------------------------------------

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


def test_only_active_verified_accounts_authenticate() -> None:
    assert user_can_authenticate(UserFactory.build())
    assert not user_can_authenticate(UserFactory.build(is_active=False))
    assert not user_can_authenticate(UserFactory.build(email_verified_at=None))
    assert not user_can_authenticate(None)


# --- changing the login email ----------------------------------------------------

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
