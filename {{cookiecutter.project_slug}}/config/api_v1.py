"""Version 1 of the HTTP API, mounted at /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("apps.users.urls")),
{%- if cookiecutter.include_example_app %}
    path("", include("apps.orders.urls")),
{%- endif %}
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
