"""Every API error, whatever raised it, leaves as RFC 9457 problem details.

``{"type", "title", "status", "detail", "instance", "code"}`` plus ``errors``
(one entry per field problem) for validation errors, served as
``application/problem+json``. Services raise Django's ``ValidationError`` (bad
input, or a state that refuses the change) and ``PermissionDenied`` (a caller
who may not make it); this is the one place that turns them, and everything
else, into HTTP.
"""

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from psycopg import errors as postgres_errors
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD = "non_field_errors"
UNEXPECTED_DETAIL = "An unexpected error occurred. It has been logged."
# How long a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(exceptions.APIException):
    """The database cannot be reached (restart, failover, pool exhausted): retry, nothing was written."""

    status_code = 503
    default_detail = "The service is temporarily unavailable. Retry shortly."
    default_code = "service_unavailable"
    wait = DATABASE_RETRY_AFTER_SECONDS  # DRF turns this into Retry-After


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is larger than this API accepts."
    default_code = "request_too_large"


class BadRequest(exceptions.APIException):
    status_code = 400
    default_detail = "The request was malformed."
    default_code = "bad_request"


def problem(
    status: int, *, detail: str, code: str, instance: str = "", errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def flatten_errors(detail: Any, field: str = "") -> list[dict[str, str]]:
    """DRF's nested error structure as a flat list of {field, message, code}; nested fields are dotted."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in flatten_errors(value, key if not field else f"{field}.{key}")
        ]
    if isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        if nested:
            return [
                error
                for index, item in enumerate(detail)
                for error in flatten_errors(item, f"{field}.{index}" if field else str(index))
            ]
        return [error for item in detail for error in flatten_errors(item, field)]
    return [{"field": field or NON_FIELD, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


def _as_drf_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):
        # What Django itself answers 400 to (too many fields, a malformed upload).
        return BadRequest()
    if isinstance(exc, OperationalError) and isinstance(exc.__cause__, postgres_errors.QueryCanceled):
        # The statement timeout cancelled a runaway query: a bug to fix, not an outage.
        # Left as it is, it is logged with its traceback and answered 500; a 503 would
        # ask the client to retry the same slow query and keep it out of error tracking.
        return exc
    if isinstance(exc, OperationalError | InterfaceError):
        # An outage, not a bug: no traceback in the log, a retryable answer for the client.
        logger.warning("Database unavailable: %s", exc)
        return DatabaseUnavailable()
    return exc


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request: Request | None = context.get("request")
    instance = request.path if request is not None else ""
    exc = _as_drf_exception(exc)
    response = exception_handler(exc, context)

    if response is None or not isinstance(exc, exceptions.APIException):
        # Not an API exception: a bug. Log it with the traceback, answer without one.
        logger.error("Unhandled error in %s", instance, exc_info=exc)
        set_rollback()
        body = problem(500, detail=UNEXPECTED_DETAIL, code="server_error", instance=instance)
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            response.status_code,
            detail="The request has invalid fields.",
            code="invalid",
            instance=instance,
            errors=flatten_errors(exc.detail),
        )
    else:
        detail, codes = exc.detail, exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        if isinstance(detail, dict) and "detail" in detail:
            # SimpleJWT nests its message and code among the token's details: a client reads those two.
            code = str(detail.get("code", code))
            detail = detail["detail"]
        body = problem(response.status_code, detail=str(detail), code=code, instance=instance)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a problem for unknown API URLs, Django's page elsewhere."""
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    body = problem(404, detail=str(exceptions.NotFound.default_detail), code="not_found", instance=request.path)
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: errors that escape the views (middleware, URL resolving) still answer in one format."""
    if not _is_api(request):
        return defaults.server_error(request)
    body = problem(500, detail=UNEXPECTED_DETAIL, code="server_error", instance=request.path)
    return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
