"""Prometheus metrics of the web process, and the endpoint that hands them out.

``MetricsMiddleware`` times every request and counts its database queries (the
liveness probe, which touches none, it only times), labelled by the URL pattern that
served it (never the raw path: one series per order id would sink Prometheus). It
also answers ``/metrics`` itself, before the Host header or the HTTPS redirect are
looked at, since Prometheus scrapes a pod by its address over plain HTTP. The
endpoint exists only when ``DJANGO_METRICS_TOKEN`` is set, and answers only a caller
that presents it as a bearer token.

Under gunicorn every worker writes its figures to files in PROMETHEUS_MULTIPROC_DIR
(config/gunicorn_conf.py sets it up); whichever worker takes the scrape reads them all.
"""

import hmac
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

from apps.observability.health import LIVENESS_PATH, ProbeMiddleware

METRICS_PATH = "/metrics"
# Requests that no URL pattern matched (404s, mostly): one label for all of them.
UNMATCHED_ROUTE = "<unmatched>"

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from the first middleware to the response, by URL pattern, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUEST_DB_QUERIES = Histogram(
    "http_request_db_queries",
    "Database queries run while serving one request.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 10, 20, 50, 100),
)
REQUEST_DB_DURATION = Histogram(
    "http_request_db_duration_seconds",
    "Time spent waiting on the database while serving one request.",
    ["route"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
CACHE_GETS = Counter("cache_gets_total", "Keys looked up in the caches, by result (hit or miss).", ["result"])
# Anything else a client sends as a method is one label, not one series per invention.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    """The label of the URL pattern that served ``request``: its name when it has one, else its route."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # The health probes are answered before URL resolution.
        return request.path_info.lstrip("/") if request.path_info in ProbeMiddleware.PROBES else UNMATCHED_ROUTE
    # A name, not the route, where there is one: the admin's route would give away its secret path.
    return match.view_name if match.url_name else match.route


class QueryCounter:
    """A ``connection.execute_wrapper``: counts and times the queries of one request."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def registry() -> CollectorRegistry:
    """What the endpoint reports: every process's files in multiprocess mode, this process's registry otherwise.

    Made per scrape, as prometheus_client advises: the collector reads the files each time anyway.
    """
    if not settings.METRICS_MULTIPROC_DIR:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected, path=settings.METRICS_MULTIPROC_DIR)
    return collected


def authorized(authorization: str | None) -> bool:
    """Whether an Authorization header carries the metrics token; always False while no token is set."""
    token = settings.METRICS_TOKEN
    scheme, _, presented = (authorization or "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def exposition(accept: str | None) -> tuple[str, bytes]:
    """The metrics as (content type, body), in the format the scraper asked for."""
    encoder, content_type = choose_encoder(accept or "")
    return content_type, encoder(registry())


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        # Switched off: nothing here, as for any unknown path.
        return HttpResponse(status=404)
    if not authorized(request.headers.get("Authorization")):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    content_type, body = exposition(request.headers.get("Accept"))
    return HttpResponse(body, content_type=content_type, headers={"Cache-Control": "no-store"})


class MetricsMiddleware:
    """Record each request's latency and queries; answer ``/metrics``. First in MIDDLEWARE, so it times them all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == METRICS_PATH:
            return metrics_view(request)
        if request.path_info == LIVENESS_PATH:
            # Polled every few seconds by every orchestrator and balancer, and it touches no
            # database by design (its tests hold it to that): only its latency is worth a series.
            started = time.perf_counter()
            response = self.get_response(request)
            observe_duration(request, response, time.perf_counter() - started)
            return response
        queries = QueryCounter()
        started = time.perf_counter()
        with ExitStack() as wrappers:
            for connection in connections.all():
                wrappers.enter_context(connection.execute_wrapper(queries))
            response = self.get_response(request)
        route = observe_duration(request, response, time.perf_counter() - started)
        REQUEST_DB_QUERIES.labels(route).observe(queries.count)
        REQUEST_DB_DURATION.labels(route).observe(queries.seconds)
        return response


def observe_duration(request: HttpRequest, response: HttpResponse, seconds: float) -> str:
    """Record one request's latency; returns the route label it was recorded under."""
    route = route_of(request)
    method = request.method if request.method in METHODS else "other"
    REQUEST_DURATION.labels(route, method, str(response.status_code)).observe(seconds)
    return route


def count_cache_gets(*, hits: int, misses: int) -> None:
    if hits:
        CACHE_GETS.labels("hit").inc(hits)
    if misses:
        CACHE_GETS.labels("miss").inc(misses)
