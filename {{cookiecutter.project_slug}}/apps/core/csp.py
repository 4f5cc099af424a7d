"""The Content-Security-Policy header, built once rather than for every response."""

from typing import Any

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# What a view's csp decorators set on its response; a response with any of them gets its own policy.
PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class CSPMiddleware(middleware.CSPMiddleware):
    """django-csp's middleware, reusing the policy the settings make.

    django-csp builds both headers from the settings on every response: a copy of the
    directives and a string join, a quarter of the CPU of the cheapest request. Only a response
    whose view changed the policy (the csp decorators) or a page that used a nonce needs
    a policy of its own; those go through django-csp unchanged.
    """

    # (header, policy, the response attribute that exempts it, URL prefixes it skips); None until first needed.
    _policies: list[tuple[str, str, str, tuple[str, ...]]] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        custom = any(getattr(response, name, None) is not None for name in PER_RESPONSE)
        if custom or getattr(request, "_csp_nonce", None) is not None or settings.DEBUG:
            return super().process_response(request, response)
        for header, policy, exempt, prefixes in self.policies():
            wanted = policy and not getattr(response, exempt, False) and not request.path_info.startswith(prefixes)
            if wanted and header not in response:
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @classmethod
    def policies(cls) -> list[tuple[str, str, str, tuple[str, ...]]]:
        if cls._policies is None:
            cls._policies = [
                (header, build_policy(report_only=report_only), exempt, tuple(prefixes(setting)))
                for header, report_only, exempt, setting in (
                    (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
                    (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
                )
            ]
        return cls._policies


def prefixes(setting: str) -> list[str]:
    return (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or []


def forget_policies(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed``: tests that change the policy get the new one."""
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        CSPMiddleware._policies = None


setting_changed.connect(forget_policies)
