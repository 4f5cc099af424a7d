"""Health probes: /healthz (liveness) and /readyz (readiness), answered before the rest of the stack.

Each readiness check is cheap (one round trip) and bounded in time, so a load
balancer can poll it every few seconds. A new dependency the app cannot serve
without gets a check in ``CHECKS``.
"""

import logging
import uuid
from collections.abc import Callable

{% if cookiecutter.use_celery -%}
from celery import current_app as celery_app
{% endif -%}
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    # The cache swallows its own errors (a miss instead of a 500), so a round trip
    # that does not return what it stored is how an outage shows here.
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise ConnectionError("cache did not return the value it was given")
    cache.delete(key)
{%- if cookiecutter.use_celery %}


def check_broker() -> None:
    if celery_app.conf.task_always_eager:
        return
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=2)
{%- endif %}


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
{%- if cookiecutter.use_celery %}
    "broker": check_broker,
{%- endif %}
}


def readiness() -> dict[str, str]:
    """Run every check; map each name to "ok" or the reason it failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready"; it is reported by name
            logger.warning("Readiness check %s failed: %s", name, error)
            results[name] = f"failed: {type(error).__name__}"
        else:
            results[name] = "ok"
    return results


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database or cache on purpose."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, 503 naming the ones that do not."""
    checks = readiness()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


class ProbeMiddleware:
    """Answer the health probes before anything checks the Host header.

    Load balancers, Kubernetes and image health checks call a container by its
    address (``Host: 10.0.3.7:8000``), which is not in ALLOWED_HOSTS; CommonMiddleware
    would answer every probe 400. The probes build no URLs, so the host does not
    matter to them. Production also exempts them from the HTTPS redirect. They come
    before the header middleware too: neither answer is a page a browser renders.
    """

    PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {LIVENESS_PATH: healthz, READINESS_PATH: readyz}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)
