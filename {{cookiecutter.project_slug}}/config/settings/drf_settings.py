"""Django REST framework, SimpleJWT and drf-spectacular."""

from datetime import timedelta
from typing import Any
{%- if cookiecutter.use_tenancy %}

from corsheaders.defaults import default_headers
{%- endif %}

from config.env import env

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_RENDERER_CLASSES": ["apps.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.StableCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttling.AnonRateThrottle",
        "apps.api.throttling.UserRateThrottle",
        "apps.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("DJANGO_API_THROTTLE_ANON", default="100/hour"),
        "user": env("DJANGO_API_THROTTLE_USER", default="1000/hour"),
        # Obtaining tokens is where passwords get guessed.
        "auth": env("DJANGO_API_THROTTLE_AUTH", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "apps.api.exceptions.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("DJANGO_JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("DJANGO_JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: changing the password ends every session.
    "CHECK_REVOKE_TOKEN": True,
    # Each refresh token is spent once, and a reused one ends its login's every session.
    "TOKEN_REFRESH_SERIALIZER": "apps.users.serializers.TokenRefreshSerializer",
    # A token is valid when the API would accept it: the checks of the authentication class.
    "TOKEN_VERIFY_SERIALIZER": "apps.users.serializers.TokenVerifySerializer",
    # Sign-ups log in once their address is verified.
    "USER_AUTHENTICATION_RULE": "apps.users.selectors.user_can_authenticate",
}
# A refresh token presented again this soon after it was spent is a duplicate of the request
# that spent it (a second tab, a retry) and is only refused; later, it ends its family.
JWT_REFRESH_REUSE_GRACE = timedelta(seconds=env.int("DJANGO_JWT_REUSE_GRACE_SECONDS", default=10))

SPECTACULAR_SETTINGS = {
    "TITLE": {{ cookiecutter.project_name | pystr }},
    "DESCRIPTION": {{ cookiecutter.description | pystr }},
    "VERSION": {{ cookiecutter.version | canonical_version | pystr }},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from the sidecar package: no CDN, nothing fetched at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
{%- if cookiecutter.include_example_app and cookiecutter.cloud_storage == "s3" %}
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "apps.orders.models.Order.Status"},  # exports have a "status" too
{%- endif %}
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.openapi.add_problem_responses",
    ],
}

# Browsers may call the API from these origins only (none by default). The API
# authenticates with bearer tokens, not cookies, so credentials are never allowed.
CORS_ALLOWED_ORIGINS = env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
{%- if cookiecutter.use_tenancy %}
# Clients that belong to several tenants name one in X-Tenant (apps/tenancy): browsers may send it.
CORS_ALLOW_HEADERS = (*default_headers, "x-tenant")
{%- endif %}
