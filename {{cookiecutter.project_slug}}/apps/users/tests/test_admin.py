import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.users.managers import MSG_EMAIL_NOT_NORMALISABLE
from apps.users.models import User
from apps.users.selectors import user_stats
from apps.users.services import WELCOME_EMAIL_SUBJECT
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "plausible-Horse-42"


def change_url(user: User) -> str:
    return reverse("admin:users_user_change", args=[user.pk])


def change_form_data(user: User, **changes: object) -> dict[str, object]:
    fields = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        **changes,
    }
    # A browser leaves an unticked checkbox out of the POST altogether.
    return {name: "on" if value is True else value for name, value in fields.items() if value is not False}


def test_changelist_and_change_page_render(admin_client: Client) -> None:
    user = UserFactory.create(email="listed@example.com")

    changelist = admin_client.get(reverse("admin:users_user_changelist"), {"q": "listed"})
    change = admin_client.get(change_url(user))

    assert changelist.status_code == 200
    assert b"listed@example.com" in changelist.content
    assert change.status_code == 200


def test_adding_a_user_has_the_effects_of_user_create(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    assert user_stats() == {"total": 1, "active": 1, "staff": 1}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:users_user_add"),
            {
                "email": " New.Person@Example.com ",
                "usable_password": "true",
                "password1": STRONG_PASSWORD,
                "password2": STRONG_PASSWORD,
            },
        )

    created = User.objects.get(email="new.person@example.com")
    assert response.status_code == 302
    assert response["Location"] == change_url(created)
    assert created.check_password(STRONG_PASSWORD)
    assert [(m.subject, m.to) for m in mail.outbox] == [(WELCOME_EMAIL_SUBJECT, ["new.person@example.com"])]
    assert user_stats() == {"total": 2, "active": 2, "staff": 1}


def test_adding_a_user_without_password_authentication(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:users_user_add"), {"email": "sso@example.com", "usable_password": "false"}
    )

    assert response.status_code == 302
    assert not User.objects.get(email="sso@example.com").has_usable_password()


def test_adding_a_user_with_an_address_that_does_not_survive_normalisation_is_refused(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:users_user_add"), {"email": "\u0131van@example.com", "usable_password": "false"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": [MSG_EMAIL_NOT_NORMALISABLE]}
    assert not User.objects.filter(email__icontains="van@").exists()


def test_editing_the_profile_normalises_the_email(admin_client: Client, user: User) -> None:
    response = admin_client.post(
        change_url(user), change_form_data(user, email=" Renamed@Example.COM ", full_name="Ann Renamed")
    )

    assert response.status_code == 302
    stored = User.objects.get(pk=user.pk)
    assert (stored.email, stored.full_name) == ("renamed@example.com", "Ann Renamed")


@pytest.mark.parametrize(
    ("given", "changes", "stats"),
    [
        ({}, {"is_active": False}, {"total": 2, "active": 1, "staff": 1}),
        ({"is_active": False}, {"is_active": True}, {"total": 2, "active": 2, "staff": 1}),
        ({}, {"is_staff": True}, {"total": 2, "active": 2, "staff": 2}),
    ],
    ids=["deactivate", "reactivate", "make-staff"],
)
def test_changing_account_flags_clears_the_cached_stats(
    admin_client: Client, django_capture_on_commit_callbacks, given: dict, changes: dict, stats: dict
) -> None:
    user = UserFactory.create(**given)
    user_stats()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(user), change_form_data(user, **changes))

    assert response.status_code == 302
    stored = User.objects.get(pk=user.pk)
    assert {field: getattr(stored, field) for field in changes} == changes
    assert user_stats() == stats
