"""Codes as an authenticator app shows them, computed by django-otp's own TOTP."""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.users.models import User


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code ``device``'s app shows at ``at`` (now by default), with its leading zeros."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def device_of(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user)


def wrong_code(device: TOTPDevice) -> str:
    """Six digits ``device`` refuses now: none of the codes of this time step or the ones either side."""
    now = time.time()
    accepted = {totp_code(device, now + drift * device.step) for drift in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)
