"""The admin site: Django's, with limits on login attempts per client address and per account.

Installed in place of django.contrib.admin's default site (``AdminConfig`` in
apps/core/apps.py), so ``admin.site`` and ``@admin.register`` work as usual.
"""

import math
import time
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from apps.core.ratelimit import client_address, login_attempt, login_succeeded, window_hit

LOGIN_WINDOW_SECONDS = 60
MSG_TOO_MANY_LOGINS = "Too many login attempts from your address. Try again in {seconds} seconds."
MSG_ACCOUNT_LOCKED = "Too many failed logins for this account. Try again in {seconds} seconds."


class AdminSite(admin.AdminSite):
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
