"""Failed API logins counted per account, from any address (issue 17, finding 7)."""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.api.exceptions import PROBLEM_CONTENT_TYPE
from apps.users import views
from apps.users.models import User
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.users.views import MSG_ACCOUNT_LOCKED

pytestmark = pytest.mark.django_db

WINDOW = 900
WINDOW_START = 1_800_000_000.0  # a multiple of WINDOW
LIMIT = 3


@pytest.fixture(autouse=True)
def _three_failures_per_account(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = LIMIT
    settings.LOGIN_FAILURES_WINDOW_SECONDS = WINDOW
    at(monkeypatch, WINDOW_START + 100)


def at(monkeypatch: pytest.MonkeyPatch, instant: float) -> None:
    monkeypatch.setattr(views, "time", SimpleNamespace(time=lambda: instant))


def log_in(email: str, password: str, address: str):
    # A client of its own per call: nothing but the account ties the attempts together.
    return APIClient().post(reverse("auth-token"), {"email": email, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def ann() -> User:
    return UserFactory.create(email="ann@example.com")


def test_failures_from_many_addresses_lock_the_account_even_for_the_right_password(ann: User) -> None:
    statuses = [log_in(ann.email, "wrong-guess", f"203.0.113.{n}").status_code for n in range(LIMIT)]

    response = log_in(ann.email, DEFAULT_PASSWORD, "198.51.100.9")

    assert statuses == [401] * LIMIT
    assert response.status_code == 429
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
    assert response["Retry-After"] == "800"
    assert response.json()["detail"].startswith(MSG_ACCOUNT_LOCKED)
    assert "access" not in response.json()


def test_a_locked_account_logs_in_once_the_window_ends(ann: User, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(LIMIT + 1):
        log_in(ann.email, "wrong-guess", f"203.0.113.{n}")

    at(monkeypatch, WINDOW_START + WINDOW)

    assert log_in(ann.email, DEFAULT_PASSWORD, "198.51.100.9").status_code == 200


def test_a_locked_account_leaves_other_accounts_alone(ann: User) -> None:
    bob = UserFactory.create(email="bob@example.com")
    for n in range(LIMIT + 1):
        log_in(ann.email.upper(), "wrong-guess", f"203.0.113.{n}")

    assert log_in(ann.email, DEFAULT_PASSWORD, "198.51.100.9").status_code == 429
    assert log_in(bob.email, DEFAULT_PASSWORD, "198.51.100.9").status_code == 200


def test_an_address_without_an_account_is_locked_alike() -> None:
    statuses = [log_in("nobody@example.com", "wrong-guess", f"203.0.113.{n}").status_code for n in range(LIMIT + 2)]

    assert statuses == [401] * LIMIT + [429] * 2


def test_successful_logins_leave_the_allowance_whole(ann: User) -> None:
    for n in range(LIMIT + 1):
        assert log_in(ann.email, DEFAULT_PASSWORD, f"203.0.113.{n}").status_code == 200

    statuses = [log_in(ann.email, "wrong-guess", f"198.51.100.{n}").status_code for n in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
