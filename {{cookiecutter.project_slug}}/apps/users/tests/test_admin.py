import pytest
from django.test import Client
from django.urls import reverse

from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_changelist_and_change_page_render(admin_client: Client) -> None:
    user = UserFactory.create(email="listed@example.com")

    changelist = admin_client.get(reverse("admin:users_user_changelist"), {"q": "listed"})
    change = admin_client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert changelist.status_code == 200
    assert b"listed@example.com" in changelist.content
    assert change.status_code == 200


def test_add_user_through_admin_lowercases_email(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "New.Person@Example.com",
            "usable_password": "true",
            "password1": "plausible-Horse-42",
            "password2": "plausible-Horse-42",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(email="new.person@example.com")
    assert created.check_password("plausible-Horse-42")
