"""Failed logins counted per account, from any address: the admin's login (issue 17, finding 7)."""

from types import SimpleNamespace
from typing import cast

import pytest
from django.core.cache import BaseCache, cache
from django.test import Client
from django.urls import reverse

from apps.core import admin as core_admin
from apps.core.admin import MSG_ACCOUNT_LOCKED
from apps.core.ratelimit import login_attempt, login_succeeded
from apps.users.mfa import mfa_setup
from apps.users.models import User
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory

WINDOW = 900
WINDOW_START = 1_800_000_000.0  # a multiple of WINDOW
LIMIT = 3


@pytest.fixture(autouse=True)
def _three_failures_per_account(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = LIMIT
    settings.LOGIN_FAILURES_WINDOW_SECONDS = WINDOW
    settings.ADMIN_LOGIN_ATTEMPTS_PER_MINUTE = 100  # the per-address limit stays out of the way
    at(monkeypatch, WINDOW_START + 100)


def at(monkeypatch: pytest.MonkeyPatch, instant: float) -> None:
    monkeypatch.setattr(core_admin, "time", SimpleNamespace(time=lambda: instant))


def attempts(email: str, count: int, now: float = WINDOW_START) -> list[float | None]:
    return [login_attempt(cache, email=email, now=now) for _ in range(count)]


def test_an_account_past_its_failures_waits_for_the_end_of_the_window() -> None:
    assert attempts("ann@example.com", LIMIT + 2, now=WINDOW_START + 100) == [None] * LIMIT + [800.0, 800.0]


def test_the_lock_ends_with_the_window() -> None:
    attempts("ann@example.com", LIMIT + 1)

    assert login_attempt(cache, email="ann@example.com", now=WINDOW_START + WINDOW) is None


def test_successful_logins_do_not_count() -> None:
    for _ in range(LIMIT * 2):
        login_attempt(cache, email="ann@example.com", now=WINDOW_START)
        login_succeeded(cache, email="ann@example.com", now=WINDOW_START)

    assert attempts("ann@example.com", LIMIT + 1) == [None] * LIMIT + [float(WINDOW)]


def test_spellings_of_one_address_share_its_count_and_other_accounts_keep_theirs() -> None:
    attempts("ann@example.com", 1)
    attempts(" ANN@Example.com ", LIMIT - 1)

    assert login_attempt(cache, email="Ann@example.com", now=WINDOW_START) is not None
    assert login_attempt(cache, email="bob@example.com", now=WINDOW_START) is None


def test_an_address_no_mail_could_carry_is_counted_too() -> None:
    # A lone surrogate is not UTF-8: the login form's text still names one count, not a 500.
    assert attempts("ann\udcff@example.com", LIMIT + 1) == [None] * LIMIT + [float(WINDOW)]


def test_logins_go_through_while_the_cache_is_down() -> None:
    # What django-redis answers with IGNORE_EXCEPTIONS while Redis is unreachable.
    down = cast(
        BaseCache, SimpleNamespace(incr=lambda key: None, add=lambda key, value, timeout: None, decr=lambda key: None)
    )

    assert [login_attempt(down, email="ann@example.com", now=WINDOW_START) for _ in range(LIMIT + 1)] == [None] * (
        LIMIT + 1
    )
    login_succeeded(down, email="ann@example.com", now=WINDOW_START)


# --- the admin's login -----------------------------------------------------------------------


def log_in(client: Client, email: str, password: str, address: str, code: str = ""):
    form = {"username": email, "password": password, "otp_token": code}
    return client.post(reverse("admin:login"), form, REMOTE_ADDR=address)


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory.create(email="staff@example.com", is_staff=True)


@pytest.fixture
def codes(staff: User) -> list[str]:
    """The staff account's recovery codes: the admin wants one (or an app's code) with the password."""
    return mfa_setup(user=staff)[1]


def test_failures_from_many_addresses_lock_the_account_even_for_the_right_password(
    client: Client, staff, codes
) -> None:
    statuses = [log_in(client, staff.email, "wrong-guess", f"203.0.113.{n}").status_code for n in range(LIMIT)]

    response = log_in(client, staff.email, DEFAULT_PASSWORD, "198.51.100.9", codes[0])

    assert statuses == [200] * LIMIT
    assert response.status_code == 429
    assert response["Retry-After"] == "800"
    assert response.content.decode() == MSG_ACCOUNT_LOCKED.format(seconds=800)
    assert "_auth_user_id" not in client.session


def test_a_locked_account_logs_in_once_the_window_ends(
    client: Client, staff, codes, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(LIMIT + 1):
        log_in(client, staff.email, "wrong-guess", f"203.0.113.{n}")

    at(monkeypatch, WINDOW_START + WINDOW)

    assert log_in(client, staff.email, DEFAULT_PASSWORD, "198.51.100.9", codes[0]).status_code == 302


def test_a_locked_account_leaves_other_accounts_alone(client: Client, staff) -> None:
    other = UserFactory.create(email="other@example.com", is_staff=True)
    other_code = mfa_setup(user=other)[1][0]
    for n in range(LIMIT + 1):
        log_in(client, staff.email, "wrong-guess", f"203.0.113.{n}")

    assert log_in(client, other.email, DEFAULT_PASSWORD, "203.0.113.1", other_code).status_code == 302


def test_an_address_without_an_account_is_locked_alike(client: Client, db: None) -> None:
    statuses = [log_in(client, "nobody@example.com", "wrong-guess", f"203.0.113.{n}").status_code for n in range(5)]

    assert statuses == [200] * LIMIT + [429] * 2


def test_successful_admin_logins_leave_the_allowance_whole(client: Client, staff, codes) -> None:
    for n in range(LIMIT + 1):
        assert log_in(Client(), staff.email, DEFAULT_PASSWORD, f"203.0.113.{n}", codes[n]).status_code == 302

    statuses = [log_in(client, staff.email, "wrong-guess", "198.51.100.9").status_code for _ in range(LIMIT + 1)]
    assert statuses == [200] * LIMIT + [429]
