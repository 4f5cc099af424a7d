from django.conf import settings
from django.contrib import admin
from django.urls import {% if cookiecutter.use_drf %}include, {% endif %}path

from apps.observability.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path(settings.ADMIN_URL, admin.site.urls),
{%- if cookiecutter.use_drf %}
    path("api/v1/", include("config.api_v1")),
{%- endif %}
]
{%- if cookiecutter.use_drf %}

# Errors raised outside the API views (unknown URLs, middleware) answer API clients in the same format.
handler404 = "apps.api.exceptions.not_found"
handler500 = "apps.api.exceptions.server_error"
{%- endif %}
