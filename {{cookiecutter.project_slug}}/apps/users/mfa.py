"""Two-factor authentication of an account: setting it up, turning it off, and the login's second step.

The factors are django-otp's: a ``TOTPDevice`` (an authenticator app) and a
``StaticDevice`` whose ``StaticToken`` rows are single-use recovery codes. Codes are
checked by ``apps.core.mfa``, which the admin's login uses too. These functions are the
only writers of the devices.
"""

from base64 import b32encode
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.mfa import MSG_CODE_INVALID, mfa_code_attempt, mfa_code_normalize, mfa_devices_verify, mfa_verify
from apps.users.models import User
from apps.users.selectors import user_can_authenticate, user_get

MFA_CHALLENGE_SECONDS = 5 * 60
RECOVERY_CODE_COUNT = 10
CHALLENGE_SALT = "users.mfa.challenge"

MSG_MFA_ALREADY_ON = "Two-factor authentication is already on: turn it off first to set up another device."
MSG_MFA_OFF = "Two-factor authentication is not on for this account."
MSG_NO_ENROLMENT = "No device is waiting to be confirmed: start the set-up first."
MSG_CHALLENGE_INVALID = "This login challenge is invalid or has expired: log in with your password again."


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs, shown once: the secret, and the same as an otpauth:// URI."""

    secret: str
    provisioning_uri: str


def _recovery_codes_issue(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def mfa_enrol_start(*, user: User) -> Enrolment:
    """A new, unconfirmed TOTP device for ``user``: it counts once ``mfa_enrol_confirm`` sees a code from it.

    Starting again replaces the unconfirmed device, so a secret shown before stops working.
    """
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(MSG_MFA_ALREADY_ON)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    return Enrolment(secret=b32encode(device.bin_key).decode(), provisioning_uri=device.config_url)


def mfa_enrol_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor authentication on with the first code of the device being set up.

    Returns the recovery codes, in the clear this once; each works once in place of a TOTP code.
    """
    mfa_code_attempt(user=user)
    code = mfa_code_normalize(code)
    with transaction.atomic():
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False))
        device = mfa_devices_verify(devices, code)
        if device is not None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _recovery_codes_issue(user)
    if not devices:
        raise ValidationError({"code": MSG_NO_ENROLMENT})
    raise ValidationError({"code": MSG_CODE_INVALID})


def mfa_disable(*, user: User, code: str) -> None:
    """Turn two-factor authentication off; it takes a valid code, so a stolen session alone cannot."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(MSG_MFA_OFF)
    mfa_verify(user=user, code=code)
    mfa_reset(user=user)


@transaction.atomic
def mfa_reset(*, user: User) -> None:
    """Delete every device of ``user``, without a code: for an operator, once the owner proved who they are."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


@transaction.atomic
def mfa_setup(*, user: User) -> tuple[Enrolment, list[str]]:
    """Give ``user`` a confirmed TOTP device and recovery codes at once: for an operator's command.

    Refuses while the account has a confirmed device (``mfa_reset`` first), so that
    running it by mistake does not lock out the device's owner.
    """
    enrolment = mfa_enrol_start(user=user)
    TOTPDevice.objects.filter(user=user, confirmed=False).update(confirmed=True)
    return enrolment, _recovery_codes_issue(user)


def _password_digest(user: User) -> str:
    return salted_hmac(CHALLENGE_SALT, user.password).hexdigest()


def mfa_challenge_issue(*, user: User) -> str:
    """A signed, short-lived token saying ``user`` gave the right password; it dies with a password change."""
    return signing.dumps({"user": str(user.pk), "password": _password_digest(user)}, salt=CHALLENGE_SALT)


def mfa_challenge_verify(*, challenge: str, code: str) -> User:
    """The user a login challenge names, once ``code`` is one of theirs: the second step of a login."""
    try:
        claims = signing.loads(challenge, salt=CHALLENGE_SALT, max_age=MFA_CHALLENGE_SECONDS)
        user = user_get(user_id=claims["user"])
    except (signing.BadSignature, KeyError, TypeError):
        user = None
    if (
        user is None
        or not user_can_authenticate(user)
        or not constant_time_compare(claims.get("password", ""), _password_digest(user))
    ):
        raise ValidationError({"challenge": MSG_CHALLENGE_INVALID})
    mfa_verify(user=user, code=code)
    return user
