"""Two-factor authentication: setting it up, codes (each once, a few per window), turning it off, the challenge."""

import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core import mfa as core_mfa
from apps.core.mfa import MFA_CODE_ATTEMPTS, MSG_CODE_INVALID, MfaThrottled, mfa_verify
from apps.users.mfa import (
    MFA_CHALLENGE_SECONDS,
    MSG_CHALLENGE_INVALID,
    MSG_MFA_ALREADY_ON,
    MSG_MFA_OFF,
    MSG_NO_ENROLMENT,
    RECOVERY_CODE_COUNT,
    mfa_challenge_issue,
    mfa_challenge_verify,
    mfa_disable,
    mfa_enrol_confirm,
    mfa_enrol_start,
    mfa_reset,
    mfa_setup,
)
from apps.users.models import User
from apps.users.selectors import user_mfa_enabled
from apps.users.tests.otp import device_of, totp_code, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def recovery_codes(user: User) -> list[str]:
    return mfa_setup(user=user)[1]


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_enrolment_counts_only_once_a_code_from_the_new_device_confirms_it(user: User) -> None:
    # Given a started enrolment: a secret for the app, not yet a second factor
    enrolment = mfa_enrol_start(user=user)
    uri = urlsplit(enrolment.provisioning_uri)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [enrolment.secret]
    assert not user_mfa_enabled(user=user)

    # When the app's first code confirms it
    codes = mfa_enrol_confirm(user=user, code=totp_code(device_of(user)))

    # Then it is on, with recovery codes that are all different
    assert user_mfa_enabled(user=user)
    assert len(set(codes)) == RECOVERY_CODE_COUNT


def test_a_wrong_first_code_leaves_it_off(user: User) -> None:
    mfa_enrol_start(user=user)
    wrong = wrong_code(device_of(user))

    with pytest.raises(ValidationError) as excinfo:
        mfa_enrol_confirm(user=user, code=wrong)

    assert errors_of(excinfo) == {"code": [MSG_CODE_INVALID]}
    assert not user_mfa_enabled(user=user)


def test_confirming_without_an_enrolment_is_refused(user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        mfa_enrol_confirm(user=user, code="123456")

    assert errors_of(excinfo) == {"code": [MSG_NO_ENROLMENT]}


def test_starting_again_replaces_the_unconfirmed_secret(user: User) -> None:
    first = mfa_enrol_start(user=user)
    second = mfa_enrol_start(user=user)

    assert first.secret != second.secret
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_enrolment_is_refused_while_a_device_is_on(user: User, recovery_codes: list[str]) -> None:
    with pytest.raises(ValidationError) as excinfo:
        mfa_enrol_start(user=user)

    assert excinfo.value.messages == [MSG_MFA_ALREADY_ON]


@pytest.mark.usefixtures("no_device_backoff")
def test_a_totp_code_works_once(user: User, recovery_codes: list[str]) -> None:
    code = totp_code(device_of(user))

    assert mfa_verify(user=user, code=code) == device_of(user)
    with pytest.raises(ValidationError) as excinfo:
        mfa_verify(user=user, code=code)

    assert errors_of(excinfo) == {"code": [MSG_CODE_INVALID]}
    # The next time step's code still works.
    assert mfa_verify(user=user, code=totp_code(device_of(user), at=time.time() + 30))


def test_a_device_waits_after_a_wrong_code(user: User, recovery_codes: list[str]) -> None:
    # django-otp's own back-off, under the account's window: 1 second after one failure, then 2, 4...
    with pytest.raises(ValidationError):
        mfa_verify(user=user, code=wrong_code(device_of(user)))

    with pytest.raises(ValidationError):
        mfa_verify(user=user, code=totp_code(device_of(user)))


def test_a_code_typed_with_a_space_works(user: User, recovery_codes: list[str]) -> None:
    code = totp_code(device_of(user))

    assert mfa_verify(user=user, code=f" {code[:3]} {code[3:]} ")


def test_a_recovery_code_works_once_in_any_case(user: User, recovery_codes: list[str]) -> None:
    mfa_verify(user=user, code=recovery_codes[0].upper())

    with pytest.raises(ValidationError):
        mfa_verify(user=user, code=recovery_codes[0])
    assert not StaticToken.objects.filter(token=recovery_codes[0]).exists()
    assert StaticToken.objects.filter(device__user=user).count() == RECOVERY_CODE_COUNT - 1


def test_another_accounts_codes_do_not_work(user: User, recovery_codes: list[str], django_user_model) -> None:
    other = django_user_model.objects.create_user("other@example.com", "x-Password-43")
    mfa_setup(user=other)

    with pytest.raises(ValidationError):
        mfa_verify(user=other, code=recovery_codes[0])
    with pytest.raises(ValidationError):
        mfa_verify(user=other, code=totp_code(device_of(user)))


def test_codes_past_the_windows_allowance_are_refused_even_the_right_one(
    user: User, recovery_codes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = 1_800_000_000.0  # a multiple of the window
    monkeypatch.setattr(core_mfa, "time", SimpleNamespace(time=lambda: start + 100))
    for _ in range(MFA_CODE_ATTEMPTS):
        with pytest.raises(ValidationError):
            mfa_verify(user=user, code=wrong_code(device_of(user)))

    with pytest.raises(MfaThrottled) as excinfo:
        mfa_verify(user=user, code=recovery_codes[0])

    assert excinfo.value.wait == core_mfa.MFA_CODE_WINDOW_SECONDS - 100
    assert StaticToken.objects.filter(token=recovery_codes[0]).exists()
    # The next window may try again.
    monkeypatch.setattr(core_mfa, "time", SimpleNamespace(time=lambda: start + core_mfa.MFA_CODE_WINDOW_SECONDS))
    assert mfa_verify(user=user, code=recovery_codes[0])


@pytest.mark.usefixtures("no_device_backoff")
def test_turning_it_off_takes_a_valid_code(user: User, recovery_codes: list[str]) -> None:
    with pytest.raises(ValidationError):
        mfa_disable(user=user, code="not-a-code")
    assert user_mfa_enabled(user=user)

    mfa_disable(user=user, code=recovery_codes[0])

    assert not user_mfa_enabled(user=user)
    assert not StaticToken.objects.filter(device__user=user).exists()


def test_turning_it_off_when_it_is_off_is_refused(user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        mfa_disable(user=user, code="123456")

    assert excinfo.value.messages == [MSG_MFA_OFF]


def test_a_reset_deletes_every_device_and_allows_a_new_setup(user: User, recovery_codes: list[str]) -> None:
    mfa_reset(user=user)

    assert not user_mfa_enabled(user=user)
    with pytest.raises(ValidationError):
        mfa_verify(user=user, code=recovery_codes[0])
    assert mfa_setup(user=user)[1] != recovery_codes


def test_a_challenge_and_a_code_name_the_user(user: User, recovery_codes: list[str]) -> None:
    challenge = mfa_challenge_issue(user=user)

    assert mfa_challenge_verify(challenge=challenge, code=recovery_codes[0]) == user


def test_a_challenge_dies_with_a_password_change(user: User, recovery_codes: list[str]) -> None:
    challenge = mfa_challenge_issue(user=user)
    user.set_password("a-New-password-43")
    user.save()

    with pytest.raises(ValidationError) as excinfo:
        mfa_challenge_verify(challenge=challenge, code=recovery_codes[0])

    assert errors_of(excinfo) == {"challenge": [MSG_CHALLENGE_INVALID]}
    assert StaticToken.objects.filter(token=recovery_codes[0]).exists()


def test_a_challenge_expires(user: User, recovery_codes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    challenge = mfa_challenge_issue(user=user)
    issued = time.time()
    monkeypatch.setattr(time, "time", lambda: issued + MFA_CHALLENGE_SECONDS + 1)

    with pytest.raises(ValidationError) as excinfo:
        mfa_challenge_verify(challenge=challenge, code=recovery_codes[0])

    assert errors_of(excinfo) == {"challenge": [MSG_CHALLENGE_INVALID]}


@pytest.mark.parametrize(
    "forge",
    [
        lambda user: "not-a-challenge",
        lambda user: signing.dumps({"user": str(user.pk)}, salt="another-salt"),
        lambda user: signing.dumps({"user": str(user.pk)}, salt="users.mfa.challenge"),
        lambda user: signing.dumps(["a", "list"], salt="users.mfa.challenge"),
    ],
    ids=["garbage", "other-salt", "no-password-digest", "not-a-dict"],
)
def test_forged_challenges_are_refused(user: User, recovery_codes: list[str], forge) -> None:
    with pytest.raises(ValidationError) as excinfo:
        mfa_challenge_verify(challenge=forge(user), code=recovery_codes[0])

    assert errors_of(excinfo) == {"challenge": [MSG_CHALLENGE_INVALID]}


def test_a_deactivated_account_gets_nothing_for_its_challenge(user: User, recovery_codes: list[str]) -> None:
    challenge = mfa_challenge_issue(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(ValidationError):
        mfa_challenge_verify(challenge=challenge, code=recovery_codes[0])
