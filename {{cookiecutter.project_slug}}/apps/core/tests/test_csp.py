from typing import cast

import pytest
from csp import middleware as django_csp
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, NONE, SELF
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from apps.core.csp import CSPMiddleware


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csp_update({"img-src": ["https://images.example.com"]})
def with_images(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]


def respond(middleware_class: type, view, path: str = "/page") -> HttpResponse:
    return cast(HttpResponse, middleware_class(view)(RequestFactory().get(path)))


def headers(middleware_class: type, view, path: str = "/page") -> dict[str, str | None]:
    response = respond(middleware_class, view, path)
    return {name: response.headers.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}


@pytest.mark.parametrize("view", [plain, with_images])
def test_the_headers_are_django_csps(view) -> None:
    assert headers(CSPMiddleware, view) == headers(django_csp.CSPMiddleware, view)


def test_a_nonce_gets_a_policy_of_its_own(settings) -> None:
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    respond(CSPMiddleware, plain, "/warm")

    response = respond(CSPMiddleware, with_nonce)

    nonce = response.content.decode().split("'")[1]
    assert f"'nonce-{nonce}'" in response[HEADER]


def test_the_policy_is_built_once_not_per_response(monkeypatch: pytest.MonkeyPatch) -> None:
    respond(CSPMiddleware, plain, "/warm")
    built: list[object] = []

    def counted(*args: object, **kwargs: object) -> str:
        built.append(args)
        return ""

    monkeypatch.setattr(django_csp, "build_policy", counted)

    for _ in range(3):
        assert respond(CSPMiddleware, plain)[HEADER]

    assert built == []


def test_a_changed_setting_changes_the_policy(settings) -> None:
    before = headers(CSPMiddleware, plain)[HEADER]

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [NONE]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "EXCLUDE_URL_PREFIXES": ["/quiet"],
        "DIRECTIVES": {"default-src": [SELF]},
    }

    assert before != headers(CSPMiddleware, plain)
    assert headers(CSPMiddleware, plain) == {HEADER: "default-src 'none'", HEADER_REPORT_ONLY: "default-src 'self'"}
    assert headers(CSPMiddleware, plain, "/quiet/x") == {HEADER: "default-src 'none'", HEADER_REPORT_ONLY: None}


def test_a_nonce_asked_for_after_the_header_is_an_error() -> None:
    request = RequestFactory().get("/page")
    CSPMiddleware(plain)(request)

    with pytest.raises(django_csp.CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]
