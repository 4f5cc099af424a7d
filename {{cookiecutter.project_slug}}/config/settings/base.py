"""Settings shared by every environment.

This package (with config/env.py, the environment reader it uses) is the only place
that reads the environment: application code asks ``django.conf.settings``, never
``os.environ``. Optional features keep their settings in modules of their own,
imported here.
"""

import ipaddress
from typing import Any

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env
{%- if cookiecutter.use_celery %}
from config.settings.celery_settings import *  # noqa: F403
{%- endif %}
{%- if cookiecutter.use_drf %}
from config.settings.drf_settings import *  # noqa: F403
{%- endif %}
{%- if cookiecutter.use_drf and cookiecutter.use_webhooks %}
from config.settings.webhooks_settings import *  # noqa: F403
{%- endif %}

# Overridden by every environment module; an empty key makes Django refuse to start.
SECRET_KEY = ""
DEBUG = False
ALLOWED_HOSTS: list[str] = []

DJANGO_APPS = [
    # django.contrib.admin, with a limit on login attempts (apps/core/admin.py).
    "apps.core.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "csp",
    # Second factors: authenticator apps (TOTP) and single-use recovery codes (apps/core/mfa.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
{%- if cookiecutter.use_drf %}
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
{%- endif %}
]
# The end of the list is the team's: startdomain appends there. An app a template release
# adds goes above devtools, so that an update never adds a line next to the team's own.
LOCAL_APPS = [
    "apps.core",
    "apps.observability",
{%- if cookiecutter.use_drf %}
    "apps.api",
{%- endif %}
{%- if cookiecutter.use_tenancy %}
    "apps.tenancy",
{%- endif %}
{%- if cookiecutter.use_drf and cookiecutter.use_webhooks %}
    "apps.webhooks",
{%- endif %}
{%- if cookiecutter.include_example_app and cookiecutter.cloud_storage == "s3" %}
    "apps.orders.exports",
{%- endif %}
    "apps.devtools",
    "apps.users",
{%- if cookiecutter.include_example_app %}
    "apps.orders",
{%- endif %}
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS
{%- if cookiecutter.use_tenancy %}
# manage.py startdomain lays these templates over its own: new models are tenant-owned.
STARTDOMAIN_SCAFFOLDS = [BASE_DIR / "apps" / "tenancy" / "scaffold"]
{%- endif %}

MIDDLEWARE = [
    # Before everything it times; it also answers /metrics (apps/observability/metrics.py).
    "apps.observability.metrics.MetricsMiddleware",
    # First after the metrics, so that every log line of the request, from every middleware below, carries its id.
    "apps.observability.request_id.RequestIDMiddleware",
    # Before the first middleware that validates the Host header (CommonMiddleware), and before
    # the header middleware: a probe, over plain HTTP to the container, needs no redirect, and
    # its "ok" or JSON is never a page, so it needs no policy or browser headers either.
    "apps.observability.health.ProbeMiddleware",
    "apps.core.csp.CSPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
{%- if cookiecutter.use_drf %}
    # Before CommonMiddleware, so that preflight requests are answered before redirects.
    "corsheaders.middleware.CorsMiddleware",
    "apps.api.middleware.PrivateAPIResponseMiddleware",
{%- endif %}
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: marks the session's user verified by the device that took its code.
    "django_otp.middleware.OTPMiddleware",
{%- if cookiecutter.use_tenancy %}
    # After authentication: a signed-in user's request runs in their tenant (the API's views set their own).
    "apps.tenancy.middleware.TenantMiddleware",
{%- endif %}
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The zero-setup default; production.py insists on PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
LOGIN_URL = "admin:login"
# The account name authenticator apps show next to the codes.
OTP_TOTP_ISSUER = {{ cookiecutter.project_name | pystr }}
# The admin lists devices, but never shows their secrets or the recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", default={{ cookiecutter.timezone | canonical_timezone | pystr }})
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served at the site root: browsers ask for /favicon.ico by themselves on pages that name no icon (the admin).
WHITENOISE_ROOT = BASE_DIR / "public"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default={{ cookiecutter.email | pystr }})
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=str(BASE_DIR / "tmp" / "emails"))
# Django waits for a mail server forever by default; a stalled one would hold the
# sending task, and the row it locks to send exactly once, until the task is killed.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)

EMAILED_LINK_PROBE = {"uid": "\0uid", "token": "\0token"}
MSG_BAD_EMAILED_LINK = "%s must contain {uid} and {token}, and no other {placeholder}: got %r"


def emailed_link(variable: str, default: str) -> str:
    """A link template for emails, from ``variable``; checked at start-up, not when the first email fails."""
    template = env(variable, default=default)
    try:
        filled = template.format_map(EMAILED_LINK_PROBE)
    except (AttributeError, KeyError, IndexError, ValueError):  # a placeholder it cannot fill
        filled = ""
    if any(marker not in filled for marker in EMAILED_LINK_PROBE.values()):
        raise ImproperlyConfigured(MSG_BAD_EMAILED_LINK % (variable, template))
    return template


# Pages of your frontend that post uid and token (and, for a reset, the new password) to the API.
EMAIL_VERIFY_URL = emailed_link(
    "DJANGO_EMAIL_VERIFY_URL",
    {{ ("https://" ~ cookiecutter.domain_name ~ "/verify-email/{uid}/{token}/") | pystr }},
)
PASSWORD_RESET_URL = emailed_link(
    "DJANGO_PASSWORD_RESET_URL",
    {{ ("https://" ~ cookiecutter.domain_name ~ "/reset-password/{uid}/{token}/") | pystr }},
)
EMAIL_CHANGE_URL = emailed_link(
    "DJANGO_EMAIL_CHANGE_URL",
    {{ ("https://" ~ cookiecutter.domain_name ~ "/confirm-email-change/{uid}/{token}/") | pystr }},
)
# Reset, verification and email-change links work for an hour; Django's default is three days.
PASSWORD_RESET_TIMEOUT = 60 * 60


def redis_cache(url: str) -> dict[str, Any]:
    """django-redis that degrades to cache misses when Redis is down, never to a 500."""
    return {
        # django-redis, counting hits and misses for the metrics.
        "BACKEND": "apps.observability.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": {{ cookiecutter.project_slug | pystr }},
        "TIMEOUT": 300,
        "OPTIONS": {
            # Fail fast: a request waits half a second for a dead Redis, not the OS default.
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            "IGNORE_EXCEPTIONS": True,
        },
    }


# Local memory unless REDIS_URL is set; production.py requires Redis.
REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": redis_cache(REDIS_URL) if REDIS_URL else {"BACKEND": "apps.observability.cache.LocMemCache"},
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "apps.core.cache"
# Sessions are written to the database and read through the cache: a Redis flush
# or outage logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The admin lives at a path of the deployment's choosing; "admin/" is only the local default.
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")
# Login attempts per minute from one client address; more are answered 429 until the minute ends.
ADMIN_LOGIN_ATTEMPTS_PER_MINUTE = env.int("DJANGO_ADMIN_LOGIN_ATTEMPTS_PER_MINUTE", default=10)
# Failed logins per account (API and admin together, from any address) in a fixed window;
# past them, that account's logins are answered 429 until the window ends (apps/core/ratelimit.py).
LOGIN_FAILURES_PER_ACCOUNT = env.int("DJANGO_LOGIN_FAILURES_PER_ACCOUNT", default=10)
LOGIN_FAILURES_WINDOW_SECONDS = env.int("DJANGO_LOGIN_FAILURES_WINDOW_SECONDS", default=15 * 60)
# The proxies whose X-Forwarded-For is believed (addresses or CIDR ranges): rate limits
# count a request from anywhere else by its connection's address. gunicorn reads the same
# variable for its forwarded_allow_ips (config/gunicorn_conf.py). Loopback by default: a
# proxy on the same host; a client that connects directly is never taken at its word.
TRUSTED_PROXIES = [
    ipaddress.ip_network(cidr.strip())
    for cidr in env.list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
]

# Prometheus metrics (apps/observability/metrics.py): /metrics answers only a bearer of this
# token, and does not exist while it is empty.
METRICS_TOKEN = env("DJANGO_METRICS_TOKEN", default="")
# Where each process of a multi-process server writes its figures for the others to read;
# gunicorn sets it up (config/gunicorn_conf.py). Empty: one process, figures in memory.
METRICS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")

X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4). Scripts only from this origin: no inline
# script anywhere (the API docs use the split Swagger view for that reason).
# Inline styles are allowed because the admin and Swagger UI set style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SESSION_COOKIE_HTTPONLY = True


def logging_config(formatter: str) -> dict[str, Any]:
    """Console lines for people, JSON lines for log collectors; both carry the request id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "apps.observability.request_id.RequestIDFilter"},
            "cache_outage": {"()": "apps.observability.logging.CacheOutageFilter"},
            "disallowed_host": {"()": "apps.observability.logging.DisallowedHostFilter"},
        },
        "formatters": {
            "console": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
        "loggers": {
            # SQL is logged at DEBUG only; keep it out even when the root level is lowered.
            "django.db.backends": {"level": "WARNING"},
            "apps.core.cache": {"filters": ["cache_outage"]},
            "django.security.DisallowedHost": {"filters": ["disallowed_host"]},
        },
    }


LOGGING = logging_config(env("DJANGO_LOG_FORMAT", default="console"))
