"""The admin site: Django's, with a limit on login attempts per client address.

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

from apps.core.ratelimit import client_address, window_hit

LOGIN_WINDOW_SECONDS = 60
MSG_TOO_MANY_LOGINS = "Too many login attempts from your address. Try again in {seconds} seconds."


class AdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            key = f"admin-login:{client_address(request)}"
            attempts, left = window_hit(cache, key, LOGIN_WINDOW_SECONDS, time.time())
            # None: the cache is down. Fail open, like the API's throttles: the passwords still have to match.
            if attempts is not None and attempts > settings.ADMIN_LOGIN_ATTEMPTS_PER_MINUTE:
                wait = math.ceil(left)
                response = HttpResponse(
                    MSG_TOO_MANY_LOGINS.format(seconds=wait), status=429, content_type="text/plain; charset=utf-8"
                )
                response["Retry-After"] = str(wait)
                return response
        return super().login(request, extra_context)
