"""Two-factor authentication over the API: setting it up, the login's challenge, codes, turning it off."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.api.exceptions import PROBLEM_CONTENT_TYPE
from apps.core.mfa import MFA_CODE_ATTEMPTS, MSG_CODE_INVALID, MSG_TOO_MANY_CODES
from apps.users.mfa import MSG_CHALLENGE_INVALID, mfa_setup
from apps.users.models import User
from apps.users.serializers import MSG_CONFIRM_MFA_SETUP
from apps.users.tests.factories import DEFAULT_PASSWORD
from apps.users.tests.otp import device_of, totp_code, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def recovery_codes(user: User) -> list[str]:
    return mfa_setup(user=user)[1]


def log_in(api: APIClient, user: User):
    return api.post(reverse("auth-token"), {"email": user.email, "password": DEFAULT_PASSWORD})


def challenge_for(api: APIClient, user: User) -> str:
    response = log_in(api, user)
    assert response.status_code == 202, response.content
    return response.json()["challenge"]


def verify(api: APIClient, challenge: str, code: str):
    return api.post(reverse("auth-mfa-verify"), {"challenge": challenge, "code": code})


def field_errors(response) -> dict[str, str]:
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_setting_it_up_takes_the_password_then_a_first_code(api: APIClient, user: User) -> None:
    api.force_authenticate(user)
    assert api.get(reverse("users-me-mfa")).json() == {"enabled": False}

    # Not with a session alone: the current password too
    refused = api.post(reverse("users-me-mfa"), {"current_password": "wrong"})
    assert refused.status_code == 400
    assert field_errors(refused) == {"current_password": MSG_CONFIRM_MFA_SETUP}

    started = api.post(reverse("users-me-mfa"), {"current_password": DEFAULT_PASSWORD})
    assert started.status_code == 201
    assert started.json()["provisioning_uri"].startswith("otpauth://totp/")
    assert api.get(reverse("users-me-mfa")).json() == {"enabled": False}

    confirmed = api.post(reverse("users-me-mfa-confirm"), {"code": totp_code(device_of(user))})

    assert confirmed.status_code == 200
    assert len(confirmed.json()["recovery_codes"]) == 10
    assert api.get(reverse("users-me-mfa")).json() == {"enabled": True}


def test_login_answers_a_challenge_and_no_tokens(api: APIClient, user: User, recovery_codes: list[str]) -> None:
    response = log_in(api, user)

    assert response.status_code == 202
    assert set(response.json()) == {"mfa_required", "challenge"}
    assert response.json()["mfa_required"] is True


def test_the_challenge_and_a_code_give_tokens_that_work(api: APIClient, user: User, recovery_codes) -> None:
    challenge = challenge_for(api, user)

    response = verify(api, challenge, totp_code(device_of(user)))

    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api.get(reverse("users-me")).json()["email"] == user.email
    assert api.post(reverse("auth-token-refresh"), {"refresh": response.json()["refresh"]}).status_code == 200


def test_a_wrong_or_replayed_code_gets_no_tokens(api: APIClient, user: User, recovery_codes: list[str]) -> None:
    challenge = challenge_for(api, user)
    code = totp_code(device_of(user))
    assert verify(api, challenge, code).status_code == 200

    wrong = verify(api, challenge, wrong_code(device_of(user)))
    replayed = verify(api, challenge, code)

    assert (wrong.status_code, replayed.status_code) == (400, 400)
    assert field_errors(wrong) == field_errors(replayed) == {"code": MSG_CODE_INVALID}


@pytest.mark.usefixtures("no_device_backoff")
def test_a_recovery_code_logs_in_once(api: APIClient, user: User, recovery_codes: list[str]) -> None:
    challenge = challenge_for(api, user)

    assert verify(api, challenge, recovery_codes[0]).status_code == 200
    assert verify(api, challenge, recovery_codes[0]).status_code == 400
    assert verify(api, challenge, recovery_codes[1]).status_code == 200


def test_a_password_change_voids_the_challenge(api: APIClient, user: User, recovery_codes: list[str]) -> None:
    challenge = challenge_for(api, user)
    user.set_password("a-New-password-43")
    user.save()

    response = verify(api, challenge, totp_code(device_of(user)))

    assert response.status_code == 400
    assert field_errors(response) == {"challenge": MSG_CHALLENGE_INVALID}


def test_codes_past_the_accounts_allowance_are_429(api: APIClient, user: User, recovery_codes: list[str]) -> None:
    challenge = challenge_for(api, user)
    for _ in range(MFA_CODE_ATTEMPTS):
        assert verify(api, challenge, wrong_code(device_of(user))).status_code == 400

    response = verify(api, challenge, recovery_codes[0])

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert 0 < int(response["Retry-After"]) <= 300
    assert response.json()["detail"].startswith(MSG_TOO_MANY_CODES)


@pytest.mark.usefixtures("no_device_backoff")
def test_turning_it_off_takes_a_code(api: APIClient, user: User, recovery_codes: list[str]) -> None:
    api.force_authenticate(user)

    assert api.post(reverse("users-me-mfa-disable"), {}).status_code == 400
    assert api.post(reverse("users-me-mfa-disable"), {"code": wrong_code(device_of(user))}).status_code == 400
    assert api.post(reverse("users-me-mfa-disable"), {"code": totp_code(device_of(user))}).status_code == 204

    api.force_authenticate(None)
    assert set(log_in(api, user).json()) == {"access", "refresh"}
