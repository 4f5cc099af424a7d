"""The admin's second factor: staff log in with a password and a code, and only sessions a device verified get in."""

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from apps.core.admin import MSG_CODE_REQUIRED
from apps.core.mfa import MFA_CODE_ATTEMPTS, MSG_CODE_INVALID, MSG_TOO_MANY_CODES
from apps.users.mfa import mfa_setup
from apps.users.models import User
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.users.tests.otp import device_of, totp_code, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_address_limit(settings) -> None:
    # The per-address login limit has tests of its own (test_admin.py).
    settings.ADMIN_LOGIN_ATTEMPTS_PER_MINUTE = 1000


@pytest.fixture
def staff() -> User:
    return UserFactory.create(email="staff@example.com", is_staff=True)


@pytest.fixture
def codes(staff: User) -> list[str]:
    return mfa_setup(user=staff)[1]


def log_in(client: Client, user: User, code: str, **extra: Any):
    form = {"username": user.email, "password": DEFAULT_PASSWORD, "otp_token": code, **extra}
    return client.post(reverse("admin:login"), form)


def in_the_admin(client: Client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def test_the_login_page_asks_for_a_code(client: Client) -> None:
    page = client.get(reverse("admin:login")).content.decode()

    assert 'name="otp_token"' in page
    assert 'autocomplete="one-time-code"' in page


def test_a_code_from_the_app_lets_staff_in(client: Client, staff: User, codes: list[str]) -> None:
    response = log_in(client, staff, totp_code(device_of(staff)))

    assert response.status_code == 302
    assert in_the_admin(client)


@pytest.mark.parametrize(("wrong", "message"), [(False, MSG_CODE_REQUIRED), (True, MSG_CODE_INVALID)])
def test_the_right_password_without_a_right_code_is_refused(
    client: Client, staff: User, codes: list[str], wrong: bool, message: str
) -> None:
    response = log_in(client, staff, wrong_code(device_of(staff)) if wrong else "")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [message]
    assert not in_the_admin(client)


def test_a_code_that_logged_in_once_does_not_log_in_again(client: Client, staff: User, codes: list[str]) -> None:
    code = totp_code(device_of(staff))
    assert log_in(client, staff, code).status_code == 302
    client.logout()

    assert log_in(client, staff, code).status_code == 200
    assert not in_the_admin(client)


@pytest.mark.usefixtures("no_device_backoff")
def test_a_recovery_code_logs_in_once(client: Client, staff: User, codes: list[str]) -> None:
    assert log_in(client, staff, codes[0]).status_code == 302
    client.logout()

    assert log_in(client, staff, codes[0]).status_code == 200
    assert log_in(client, staff, codes[1]).status_code == 302


def test_codes_past_the_accounts_allowance_are_refused_even_the_right_one(
    client: Client, staff: User, codes: list[str]
) -> None:
    for _ in range(MFA_CODE_ATTEMPTS):
        log_in(client, staff, wrong_code(device_of(staff)))

    response = log_in(client, staff, codes[0])

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith(f"{MSG_TOO_MANY_CODES} Try again in ")
    assert not in_the_admin(client)


def test_staff_without_a_device_cannot_log_in(client: Client, staff: User) -> None:
    assert log_in(client, staff, "000000").status_code == 200
    assert not in_the_admin(client)


def test_a_session_no_device_verified_is_sent_to_the_login(client: Client, staff: User, codes: list[str]) -> None:
    # A password-only session (another login view, or one from before two-factor authentication)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_site_keeps_its_name(client: Client) -> None:
    # OTPAdminSite calls itself "otpadmin"; the URLs say "admin".
    assert admin.site.name == "admin"


def test_the_admin_shows_no_secret_nor_recovery_code(admin_client: Client, staff: User, codes: list[str]) -> None:
    totp = device_of(staff)
    recovery = StaticDevice.objects.get(user=staff)

    pages = [
        admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[totp.pk])),
        admin_client.get(reverse("admin:otp_static_staticdevice_change", args=[recovery.pk])),
    ]

    assert [page.status_code for page in pages] == [200, 200]
    shown = "".join(page.content.decode() for page in pages)
    assert totp.key not in shown
    assert not [code for code in codes if code in shown]
