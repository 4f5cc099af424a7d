"""Every error response has one shape: RFC 9457 problem details, whatever raised it."""

import logging

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from django.urls import path
from psycopg import errors as postgres_errors
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from apps.api.exceptions import (
    DATABASE_RETRY_AFTER_SECONDS,
    PROBLEM_CONTENT_TYPE,
    UNEXPECTED_DETAIL,
    flatten_errors,
    server_error,
)
from apps.api.parsers import MSG_DUPLICATE_KEY, MSG_NESTED_TOO_DEEP
from apps.api.tests.test_throttling import freeze_throttle_clock
from apps.api.throttling import AnonRateThrottle

SERVICE_REFUSAL = "Bookings cannot start on a Sunday."
DATABASE_DOWN = 'connection to server at "10.9.8.7", port 5432 failed: Connection refused'
STATEMENT_TIMEOUT = "canceling statement due to statement timeout"


class AddressSerializer(serializers.Serializer):
    city = serializers.CharField()


class SignupInput(serializers.Serializer):
    email = serializers.EmailField()
    addresses = AddressSerializer(many=True)


class OpenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    def post(self, request: Request) -> Response:
        SignupInput(data=request.data).is_valid(raise_exception=True)
        return Response(status=204)

    def get(self, request: Request) -> Response:
        kind = request.query_params.get("raise")
        if kind == "service":
            raise DjangoValidationError({"starts_on": [SERVICE_REFUSAL]})
        if kind == "service-plain":
            raise DjangoValidationError(SERVICE_REFUSAL)
        if kind == "http404":
            raise Http404("secret internal detail")
        if kind == "denied":
            raise PermissionDenied
        if kind == "database":
            raise OperationalError(DATABASE_DOWN)
        if kind == "slow-query":
            # How Django's wrapper presents psycopg's error when statement_timeout fires.
            raise OperationalError(STATEMENT_TIMEOUT) from postgres_errors.QueryCanceled(STATEMENT_TIMEOUT)
        if kind == "suspicious":
            raise SuspiciousOperation("Too many fields")
        if kind == "bug":
            raise RuntimeError("database password is hunter2")
        return Response({"ok": True})


class PrivateView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class OnceThrottle(AnonRateThrottle):
    rate = "1/minute"


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [OnceThrottle]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/open/", OpenView.as_view()),
    path("api/private/", PrivateView.as_view()),
    path("api/throttled/", ThrottledView.as_view()),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["code"] == code
    assert body["instance"] == response.wsgi_request.path
    return body


def test_serializer_errors_are_listed_per_field_with_nested_paths(api: APIClient) -> None:
    response = api.post("/api/open/", {"email": "nope", "addresses": [{"city": "Oslo"}, {}]}, format="json")

    body = assert_problem(response, 400, "invalid")
    assert body["title"] == "Bad Request"
    assert body["errors"] == [
        {"field": "email", "message": "Enter a valid email address.", "code": "invalid"},
        {"field": "addresses.1.city", "message": "This field is required.", "code": "required"},
    ]


def test_malformed_json_is_a_400_problem(api: APIClient) -> None:
    response = api.generic("POST", "/api/open/", "{not json", content_type="application/json")

    body = assert_problem(response, 400, "parse_error")
    assert body["detail"].startswith("JSON parse error")


def test_json_nested_too_deep_for_the_decoder_is_a_400_problem(api: APIClient) -> None:
    response = api.post("/api/open/", "[" * 100_000, content_type="application/json")

    body = assert_problem(response, 400, "parse_error")
    assert body["detail"] == MSG_NESTED_TOO_DEEP


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "ann@example.com", "email": "eve@example.com", "addresses": []}',
        '{"email": "ann@example.com", "addresses": [{"city": "Oslo", "city": "Rome"}]}',
    ],
    ids=["top-level", "nested"],
)
def test_a_key_twice_in_one_object_is_a_400_problem(api: APIClient, body: str) -> None:
    # A proxy that keeps the first value and the API that kept the last would read two requests.
    response = api.post("/api/open/", body, content_type="application/json")

    assert assert_problem(response, 400, "parse_error")["detail"] == MSG_DUPLICATE_KEY


def test_the_same_key_in_different_objects_is_fine(api: APIClient) -> None:
    body = '{"email": "ann@example.com", "addresses": [{"city": "Oslo"}, {"city": "Rome"}]}'

    assert api.post("/api/open/", body, content_type="application/json").status_code == 204


def test_a_body_in_a_decompressing_charset_is_refused(api: APIClient) -> None:
    response = api.post("/api/open/", b"{}", content_type="application/json; charset=bz2_codec")

    assert_problem(response, 400, "parse_error")


def test_wrong_content_type_is_a_415_problem(api: APIClient) -> None:
    response = api.generic("POST", "/api/open/", "email=x", content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")


def test_service_validation_error_keeps_its_field(api: APIClient) -> None:
    body = assert_problem(api.get("/api/open/", {"raise": "service"}), 400, "invalid")

    assert body["errors"] == [{"field": "starts_on", "message": SERVICE_REFUSAL, "code": "invalid"}]


def test_service_validation_error_without_field_is_non_field(api: APIClient) -> None:
    body = assert_problem(api.get("/api/open/", {"raise": "service-plain"}), 400, "invalid")

    assert body["errors"] == [{"field": "non_field_errors", "message": SERVICE_REFUSAL, "code": "invalid"}]


def test_missing_credentials_is_401_with_challenge(api: APIClient) -> None:
    response = api.get("/api/private/")

    body = assert_problem(response, 401, "not_authenticated")
    assert body["title"] == "Unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_forged_token_is_401(api: APIClient) -> None:
    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    body = assert_problem(api.get("/api/private/"), 401, "token_not_valid")
    # SimpleJWT's nested error is reduced to its message, not a dict's repr.
    assert body["detail"] == "Given token not valid for any token type"


def test_permission_denied_is_403(api: APIClient) -> None:
    body = assert_problem(api.get("/api/open/", {"raise": "denied"}), 403, "permission_denied")

    assert body["title"] == "Forbidden"


def test_404_does_not_leak_the_exception_text(api: APIClient) -> None:
    body = assert_problem(api.get("/api/open/", {"raise": "http404"}), 404, "not_found")

    assert "secret" not in body["detail"]


def test_unsupported_method_is_405(api: APIClient) -> None:
    assert_problem(api.delete("/api/open/"), 405, "method_not_allowed")


def test_throttled_is_429_with_retry_after(api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_throttle_clock(monkeypatch)
    api.get("/api/throttled/")

    response = api.get("/api/throttled/")

    assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "30"


def test_database_outage_is_a_503_with_retry_after_and_no_details(api: APIClient, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="apps.api.exceptions"):
        response = api.get("/api/open/", {"raise": "database"})

    body = assert_problem(response, 503, "service_unavailable")
    assert body["title"] == "Service Unavailable"
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert "10.9.8.7" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "apps.api.exceptions"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None


def test_query_cancelled_by_the_statement_timeout_is_a_logged_500_not_an_outage(api: APIClient, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="apps.api.exceptions"):
        response = api.get("/api/open/", {"raise": "slow-query"})

    body = assert_problem(response, 500, "server_error")
    assert body["detail"] == UNEXPECTED_DETAIL
    assert "Retry-After" not in response
    [record] = [r for r in caplog.records if r.name == "apps.api.exceptions"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == STATEMENT_TIMEOUT


def test_body_over_the_upload_limit_is_a_413(api: APIClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = api.post("/api/open/", {"email": "a@example.com", "addresses": [{"city": "x" * 200}]}, format="json")

    assert_problem(response, 413, "request_too_large")


def test_suspicious_request_is_a_400(api: APIClient) -> None:
    assert_problem(api.get("/api/open/", {"raise": "suspicious"}), 400, "bad_request")


def test_bug_is_logged_and_answered_without_details(api: APIClient, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="apps.api.exceptions"):
        response = api.get("/api/open/", {"raise": "bug"})

    body = assert_problem(response, 500, "server_error")
    assert body["detail"] == UNEXPECTED_DETAIL
    assert "hunter2" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "apps.api.exceptions"]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


@pytest.mark.urls("config.urls")
def test_unknown_api_url_is_a_404_problem(api: APIClient) -> None:
    assert_problem(api.get("/api/v1/no-such-thing/"), 404, "not_found")


@pytest.mark.urls("config.urls")
def test_unknown_page_outside_the_api_stays_html(client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_flatten_errors_handles_plain_strings() -> None:
    assert flatten_errors(["broken"]) == [{"field": "non_field_errors", "message": "broken", "code": "invalid"}]


def test_flatten_errors_numbers_nested_lists() -> None:
    assert flatten_errors({"rows": [["bad"], ["worse"]]}) == [
        {"field": "rows.0", "message": "bad", "code": "invalid"},
        {"field": "rows.1", "message": "worse", "code": "invalid"},
    ]


def test_errors_outside_the_views_answer_api_clients_with_a_problem() -> None:
    api_response = server_error(APIRequestFactory().get("/api/v1/users/me/"))
    page_response = server_error(APIRequestFactory().get("/"))

    assert api_response.status_code == 500
    assert api_response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert page_response.status_code == 500
    assert page_response["Content-Type"].startswith("text/html")


@pytest.mark.urls("config.urls")
def test_cors_allows_only_configured_origins(api: APIClient, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    allowed = api.options(
        "/api/v1/users/me/", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    )
    refused = api.options(
        "/api/v1/users/me/", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Credentials" not in allowed
    assert "Access-Control-Allow-Origin" not in refused
