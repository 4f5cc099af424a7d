"""The admin's login page: Django's, with a limit on attempts per client address, and a second factor."""

from ipaddress import ip_network
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from apps.core import admin as core_admin
from apps.core import mfa as core_mfa
from apps.core.admin import MSG_TOO_MANY_LOGINS, AdminSite
from apps.users.mfa import mfa_setup
from apps.users.models import User
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000.0  # a multiple of 60
LIMIT = 3


@pytest.fixture(autouse=True)
def _three_attempts_a_minute(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ADMIN_LOGIN_ATTEMPTS_PER_MINUTE = LIMIT
    at(monkeypatch, WINDOW_START + 15)


def at(monkeypatch: pytest.MonkeyPatch, instant: float) -> None:
    monkeypatch.setattr(core_admin, "time", SimpleNamespace(time=lambda: instant))


def log_in(client: Client, email: str, password: str, code: str = "", **environ: Any):
    form = {"username": email, "password": password, "otp_token": code}
    return client.post(reverse("admin:login"), form, **environ)


@pytest.fixture
def staff() -> User:
    return UserFactory.create(email="staff@example.com", is_staff=True)


@pytest.fixture
def codes(staff: User) -> list[str]:
    """Recovery codes of the staff account: each logs in once, in place of an authenticator app's code."""
    return mfa_setup(user=staff)[1]


def test_the_project_site_is_the_admin() -> None:
    assert isinstance(admin.site, AdminSite)


def test_an_address_past_its_attempts_is_refused_even_with_the_right_password(client: Client, staff, codes) -> None:
    # Given three wrong guesses from one address within the minute
    for _ in range(LIMIT):
        assert log_in(client, staff.email, "wrong-guess").status_code == 200

    # When the fourth attempt comes, with the right password and code
    response = log_in(client, staff.email, DEFAULT_PASSWORD, codes[0])

    # Then it is refused until the minute ends, without a session
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    assert response.content.decode() == MSG_TOO_MANY_LOGINS.format(seconds=45)
    assert "_auth_user_id" not in client.session


def test_the_next_minute_may_try_again(client: Client, staff, codes, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(LIMIT + 1):
        log_in(client, staff.email, "wrong-guess")

    at(monkeypatch, WINDOW_START + 60)

    assert log_in(client, staff.email, DEFAULT_PASSWORD, codes[0]).status_code == 302


def test_other_addresses_keep_their_attempts(client: Client, staff, codes) -> None:
    for _ in range(LIMIT + 1):
        log_in(client, staff.email, "wrong-guess", REMOTE_ADDR="203.0.113.7")

    assert log_in(client, staff.email, DEFAULT_PASSWORD, codes[0], REMOTE_ADDR="198.51.100.9").status_code == 302


def test_a_forged_x_forwarded_for_does_not_buy_fresh_attempts(client: Client, staff) -> None:
    # A client that reaches the server directly, not through a trusted proxy.
    responses = [
        log_in(client, staff.email, "wrong-guess", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(LIMIT + 1)
    ]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]


def test_clients_behind_a_trusted_proxy_keep_their_own_attempts(client: Client, staff, codes, settings) -> None:
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24")]
    for _ in range(LIMIT + 1):
        log_in(client, staff.email, "wrong-guess", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")

    other = log_in(
        client, staff.email, DEFAULT_PASSWORD, codes[0], REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert other.status_code == 302


def test_the_login_page_itself_is_never_limited(client: Client, staff) -> None:
    for _ in range(LIMIT + 1):
        log_in(client, staff.email, "wrong-guess")

    assert client.get(reverse("admin:login")).status_code == 200


def test_logins_go_through_while_the_cache_is_down(
    client: Client, staff, codes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What django-redis answers with IGNORE_EXCEPTIONS while Redis is unreachable.
    down = SimpleNamespace(incr=lambda key: None, add=lambda key, value, timeout: None, decr=lambda key: None)
    monkeypatch.setattr(core_admin, "cache", down)
    monkeypatch.setattr(core_mfa, "cache", down)

    statuses = [log_in(client, staff.email, "wrong-guess").status_code for _ in range(LIMIT + 1)]

    assert statuses == [200] * (LIMIT + 1)
    assert log_in(client, staff.email, DEFAULT_PASSWORD, codes[0]).status_code == 302
