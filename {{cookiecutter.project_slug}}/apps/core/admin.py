"""The admin site: Django's, with limits on login attempts per client address and per account, and a second factor.

Staff log in with their password and a code from their authenticator app (or one of
their recovery codes): django-otp's ``OTPAdminSite`` admits only sessions verified by a
device. Staff without a device cannot log in until an operator runs ``manage.py mfa_setup``.

Installed in place of django.contrib.admin's default site (``AdminConfig`` in
apps/core/apps.py), so ``admin.site`` and ``@admin.register`` work as usual.
"""

import math
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite

from apps.core.mfa import MfaThrottled, mfa_verify
from apps.core.ratelimit import client_address, login_attempt, login_succeeded, window_hit

LOGIN_WINDOW_SECONDS = 60
MSG_TOO_MANY_LOGINS = "Too many login attempts from your address. Try again in {seconds} seconds."
MSG_ACCOUNT_LOCKED = "Too many failed logins for this account. Try again in {seconds} seconds."

MSG_CODE_REQUIRED = "Enter the code from your authenticator app, or one of your recovery codes."


class MfaLoginForm(AdminAuthenticationForm):
    """The admin's login form with a code field; a session it logs in is verified by the device that took the code."""

    otp_token = forms.CharField(
        label="Code",
        max_length=64,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="From your authenticator app, or one of your recovery codes.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()  # the password, and is_staff
        user = self.get_user()
        if user is None:  # no username or password: their fields carry the errors
            return cleaned_data
        code = cleaned_data.get("otp_token", "")
        if not code:
            raise forms.ValidationError(MSG_CODE_REQUIRED, code="code_required")
        try:
            # django_otp.login() stores this device in the session when the admin logs the user in.
            user.otp_device = mfa_verify(user=user, code=code)  # type: ignore[attr-defined]
        except MfaThrottled as error:
            raise forms.ValidationError(str(error), code="throttled") from error
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["code"], code="invalid_code") from error
        return cleaned_data


class AdminSite(OTPAdminSite):
    login_form = MfaLoginForm
    login_template = "admin/mfa_login.html"

    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite names itself "otpadmin"; the project's URLs and templates say "admin".
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        now = time.time()
        key = f"admin-login:{client_address(request)}"
        attempts, left = window_hit(cache, key, LOGIN_WINDOW_SECONDS, now)
        # None: the cache is down. Fail open, like the API's throttles: the passwords still have to match.
        if attempts is not None and attempts > settings.ADMIN_LOGIN_ATTEMPTS_PER_MINUTE:
            return too_many(MSG_TOO_MANY_LOGINS, left)
        email = request.POST.get("username", "")
        wait = login_attempt(cache, email=email, now=now)
        if wait is not None:
            return too_many(MSG_ACCOUNT_LOCKED, wait)
        response = super().login(request, extra_context)
        if response.status_code == 302:  # logged in; a refused form is shown again with 200
            login_succeeded(cache, email=email, now=now)
        return response


def too_many(message: str, left: float) -> HttpResponse:
    wait = math.ceil(left)
    response = HttpResponse(message.format(seconds=wait), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response
