from django.apps import apps
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.core.health import readiness


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


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Local development's start page: links to what this project serves."""
    links = [
        ("Admin", reverse("admin:index")),
{%- if cookiecutter.use_drf %}
        ("API docs (Swagger UI)", reverse("api-docs")),
{%- endif %}
        ("Liveness probe", reverse("healthz")),
        ("Readiness probe", reverse("readyz")),
    ]
    # Local settings install the debug toolbar where requirements/local.txt is installed.
    debug_toolbar = apps.is_installed("debug_toolbar")
    return render(request, "core/index.html", {"links": links, "debug_toolbar": debug_toolbar})
