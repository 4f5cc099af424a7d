"""Version 1 of the HTTP API, mounted at /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# startdomain adds a team's apps after the last include: a template release adds its own at the top.
urlpatterns = [
{%- if cookiecutter.use_webhooks %}
    path("", include("apps.webhooks.urls")),
{%- endif %}
{%- if cookiecutter.include_example_app and cookiecutter.cloud_storage == "s3" %}
    path("", include("apps.orders.exports.urls")),
{%- endif %}
    path("", include("apps.users.urls")),
{%- if cookiecutter.include_example_app %}
    path("", include("apps.orders.urls")),
{%- endif %}
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script, so a strict CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
