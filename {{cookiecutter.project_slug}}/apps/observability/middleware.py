from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from apps.observability.request_id import request_id_from, request_id_var
from apps.observability.views import healthz, readyz

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIDMiddleware:
    """Tag each request with an id: taken from X-Request-ID when valid, made otherwise.

    The id is echoed on the response and put on every log record of the request
    (see ``RequestIDFilter``), so one line in a proxy log leads to all of them.
    It is cleared when the response is closed (``request_finished``), not when
    this middleware returns: Django logs 4xx/5xx responses after the middleware
    chain, and those lines need the id most.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ProbeMiddleware:
    """Answer the health probes before anything checks the Host header.

    Load balancers, Kubernetes and image health checks call a container by its
    address (``Host: 10.0.3.7:8000``), which is not in ALLOWED_HOSTS; CommonMiddleware
    would answer every probe 400. The probes build no URLs, so the host does not
    matter to them. Production also exempts them from the HTTPS redirect.
    """

    PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)


def clear_request_id(**kwargs: Any) -> None:
    request_id_var.set(None)
