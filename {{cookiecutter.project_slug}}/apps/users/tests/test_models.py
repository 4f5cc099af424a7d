import pytest
from django.db import IntegrityError

from apps.users.models import User
from apps.users.tests.factories import UserFactory


def test_str_and_names_fall_back_to_email() -> None:
    user = UserFactory.build(email="ann@example.com", full_name="")

    assert str(user) == "ann@example.com"
    assert user.get_full_name() == "ann@example.com"
    assert user.get_short_name() == "ann@example.com"


def test_short_name_is_the_first_name() -> None:
    user = UserFactory.build(full_name="Ann Lee")

    assert user.get_short_name() == "Ann"
    assert user.get_full_name() == "Ann Lee"


def test_clean_lowercases_email() -> None:
    user = UserFactory.build(email="  Ann@Example.COM ")

    user.clean()

    assert user.email == "ann@example.com"


@pytest.mark.django_db
def test_create_user_logs_in_by_email_whatever_the_case() -> None:
    User.objects.create_user("Ann@Example.com", password="s3cret-Pass!")

    found = User.objects.get_by_natural_key("ANN@example.COM")

    assert found.email == "ann@example.com"
    assert found.check_password("s3cret-Pass!")
    assert not found.is_staff
    assert not found.is_superuser


@pytest.mark.django_db
def test_create_user_requires_an_email() -> None:
    with pytest.raises(ValueError, match="must have an email"):
        User.objects.create_user("", password="x")


@pytest.mark.django_db
def test_create_superuser_sets_the_flags() -> None:
    admin = User.objects.create_superuser("root@example.com", password="s3cret-Pass!")

    assert admin.is_staff
    assert admin.is_superuser


@pytest.mark.django_db
def test_create_superuser_refuses_to_be_half_a_superuser() -> None:
    with pytest.raises(ValueError, match="is_staff=True"):
        User.objects.create_superuser("root@example.com", password="x", is_staff=False)


@pytest.mark.django_db
def test_email_is_unique_at_database_level() -> None:
    UserFactory.create(email="ann@example.com")

    with pytest.raises(IntegrityError):
        User.objects.create_user("ANN@example.com", password="x")


@pytest.mark.django_db
def test_primary_key_is_a_uuid_and_timestamps_are_set(user: User) -> None:
    assert user.pk.version == 4
    assert user.created_at is not None
    assert user.updated_at >= user.created_at
