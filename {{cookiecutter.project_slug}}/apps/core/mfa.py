"""Checking a second-factor code: shared by the admin's login and the users app's services.

django-otp keeps the devices and does the cryptography: a ``TOTPDevice`` refuses a code
from a time step it accepted before (``last_t``), a ``StaticDevice`` deletes the recovery
code (``StaticToken``) it accepts. Every code attempt also counts against the account,
whatever the client's address: ``MFA_CODE_ATTEMPTS`` per ``MFA_CODE_WINDOW_SECONDS``.
"""

import math
import time

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.ratelimit import window_hit

MFA_CODE_ATTEMPTS = 5
MFA_CODE_WINDOW_SECONDS = 5 * 60
TOTP_DIGITS = 6  # TOTPDevice's default, which authenticator apps expect

MSG_CODE_INVALID = "This code is wrong, expired or already used."
MSG_TOO_MANY_CODES = "Too many codes were tried for this account."


class MfaThrottled(Exception):
    """Too many codes were tried for one account; ``wait`` is the seconds until the window ends."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"{MSG_TOO_MANY_CODES} Try again in {wait} seconds.")
        self.wait = wait


def mfa_code_attempt(*, user: AbstractBaseUser) -> None:
    """Count one code attempt for ``user``; raises ``MfaThrottled`` past the window's allowance."""
    attempts, left = window_hit(cache, f"mfa-codes:{user.pk}", MFA_CODE_WINDOW_SECONDS, time.time())
    # None: the cache is down. Fail open: each device still backs off after its own failures.
    if attempts is not None and attempts > MFA_CODE_ATTEMPTS:
        raise MfaThrottled(math.ceil(left))


def mfa_code_normalize(code: str) -> str:
    # Authenticator apps show "123 456"; recovery codes are lowercase base32, easily typed in capitals.
    return "".join(code.split()).replace("-", "").lower()


def mfa_devices_verify(devices: list[Device], code: str) -> Device | None:
    """The first of ``devices`` that accepts ``code``; call it inside a transaction that then commits.

    A device records its failures: raising inside the same transaction would roll that back.
    """
    for device in devices:
        if device.verify_token(code):
            return device
    return None


def _devices_for(user: AbstractBaseUser, code: str) -> list[Device]:
    """The confirmed devices a code of this shape can belong to, locked: racing requests spend a code once.

    Six digits are a TOTP code, anything else a recovery code. Trying a code on every
    device would count a failure against each device it does not belong to.
    """
    model: type[TOTPDevice] | type[StaticDevice] = (
        TOTPDevice if code.isdigit() and len(code) == TOTP_DIGITS else StaticDevice
    )
    return list(model.objects.select_for_update().filter(user=user, confirmed=True))


def mfa_verify(*, user: AbstractBaseUser, code: str) -> Device:
    """The device that accepts ``code`` for ``user``: a TOTP code, or a recovery code (then spent).

    Raises ``ValidationError`` for a wrong, expired or replayed code and ``MfaThrottled``
    past the attempts of the window.
    """
    mfa_code_attempt(user=user)
    code = mfa_code_normalize(code)
    with transaction.atomic():
        device = mfa_devices_verify(_devices_for(user, code), code)
    if device is None:
        raise ValidationError({"code": MSG_CODE_INVALID})
    return device
