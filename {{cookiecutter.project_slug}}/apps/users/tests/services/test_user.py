"""Creating, updating and deactivating accounts: the services every flow builds on."""

import pytest
from django.core.exceptions import ValidationError

from apps.users.managers import MSG_EMAIL_NOT_NORMALISABLE
from apps.users.models import User
from apps.users.selectors import user_stats
from apps.users.services import user_create, user_deactivate, user_update
from apps.users.tests.factories import UserFactory
from apps.users.tests.services.support import EMAIL_TAKEN, PASSWORD_TOO_SHORT, STRONG_PASSWORD

pytestmark = pytest.mark.django_db


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


# Each lower-cases, or is mailed, as an address other than the one typed.
NOT_NORMALISABLE = {
    "dotless-i": "\u0131van@example.com",
    "dotted-capital-i": "\u0130van@example.com",
    "kelvin-sign": "\u212aim@example.com",
    "sharp-s-domain": "ann@stra\u00dfe.de",
    "fullwidth-domain": "ann@\uff45xample.com",
}


@pytest.mark.parametrize("email", list(NOT_NORMALISABLE.values()), ids=list(NOT_NORMALISABLE))
def test_user_create_refuses_an_address_that_does_not_survive_normalisation(email: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        user_create(email=email, password=STRONG_PASSWORD)

    assert excinfo.value.message_dict == {"email": [MSG_EMAIL_NOT_NORMALISABLE]}
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["ann@b\u00fccher.example", "ann@\u0131stanbul.example", "ANN@B\u00dcCHER.EXAMPLE"])
def test_user_create_keeps_an_international_domain(email: str) -> None:
    assert user_create(email=email).email == email.lower()


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


def test_writes_clear_the_cached_stats_after_commit(django_capture_on_commit_callbacks) -> None:
    assert user_stats() == {"total": 0, "active": 0, "staff": 0}

    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(email="ann@example.com", password=STRONG_PASSWORD, is_staff=True)
    assert user_stats() == {"total": 1, "active": 1, "staff": 1}

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=user)
    assert user_stats() == {"total": 1, "active": 0, "staff": 1}
