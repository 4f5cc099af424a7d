"""Local development's start page (config.urls_local): never routed in production or tests."""

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe


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
    return render(request, "devtools/index.html", {"links": links, "debug_toolbar": debug_toolbar})
