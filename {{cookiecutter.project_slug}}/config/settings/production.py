"""Production: every secret and host comes from the environment, or the process refuses to start."""

from django.core.exceptions import ImproperlyConfigured
{%- if cookiecutter.use_sentry %}

from config.sentry import sentry_init
{%- endif %}

from .base import *  # noqa: F403
from .base import env, logging_config, redis_cache
{%- if cookiecutter.cloud_storage == "s3" %}
from .storage_settings import s3_storage
{%- endif %}

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set the DJANGO_ALLOWED_HOSTS environment variable to a comma-separated host list")
# None by default: a form posted to its own origin passes without one. Trusting every
# allowed host (or "https://*.example.com") would let any sibling subdomain that can set
# a cookie on the parent domain forge the admin's CSRF token.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The admin is where credentials get guessed: never at the default path in production.
ADMIN_URL = env("DJANGO_ADMIN_URL").strip("/") + "/"
if ADMIN_URL in {"/", "admin/"}:
    raise ImproperlyConfigured("DJANGO_ADMIN_URL must not be admin/ in production: choose a hard-to-guess path")

DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL in production (postgres://user:pass@host:5432/name)"
    )
# Django's native psycopg 3 pool replaces persistent connections (CONN_MAX_AGE must
# stay 0). With CONN_HEALTH_CHECKS Django makes the pool test a connection before
# lending it, so a database restart costs failed requests during the outage, not
# a restart of the app server.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Added to what DATABASE_URL carries (sslmode, sslrootcert, connect_timeout...), never
# in place of it: dropping ?sslmode=verify-full would silently fall back to unverified TLS.
database_options = DATABASES["default"].setdefault("OPTIONS", {})
# DJANGO_DB_POOL=false for processes that must not keep one: task workers, which close
# every connection after each task (a pool would be rebuilt per task), or behind a
# PgBouncer that pools already.
if env.bool("DJANGO_DB_POOL", default=True):
    database_options["pool"] = {
        "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DJANGO_DB_POOL_TIMEOUT", default=10),
    }
# A runaway query is cancelled by PostgreSQL instead of holding a worker.
statement_timeout = f"-c statement_timeout={env.int('DJANGO_DB_STATEMENT_TIMEOUT_MS', default=30000)}"
database_options["options"] = f"{database_options.get('options', '')} {statement_timeout}".strip()

CACHES = {"default": redis_cache(env("REDIS_URL"))}
{%- if cookiecutter.use_celery %}
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
{%- endif %}

STORAGES = {
{%- if cookiecutter.cloud_storage == "s3" %}
    # Uploads go to the bucket every replica shares (config/settings/storage_settings.py).
    "default": s3_storage(
        bucket=env("DJANGO_AWS_STORAGE_BUCKET_NAME"),
        region=env("DJANGO_AWS_S3_REGION_NAME"),
        # Empty (as compose passes an unset one) means unset, like absent.
        endpoint_url=env("DJANGO_AWS_S3_ENDPOINT_URL", default="") or None,
        access_key=env("DJANGO_AWS_ACCESS_KEY_ID", default="") or None,
        secret_key=env("DJANGO_AWS_SECRET_ACCESS_KEY", default="") or None,
        addressing_style=env("DJANGO_AWS_S3_ADDRESSING_STYLE", default="auto"),
        signed_url_seconds=env.int("DJANGO_AWS_SIGNED_URL_SECONDS", default=300),
    ),
{%- else %}
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
{%- endif %}
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS everywhere; TLS ends at the proxy, which says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes speak plain HTTP to the container itself; a redirect would fail every one.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
# Both are hard to take back (browsers keep them for the max-age, preload lists for
# months): turn them off for a domain whose subdomains are not all on HTTPS yet.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# A count of proxies believed X-Forwarded-For from whoever connected, proxy or not; the
# addresses in DJANGO_TRUSTED_PROXIES (base.py) replace it. Refused rather than ignored:
# a deployment that set it is behind proxies that now need naming.
for retired in ("DJANGO_NUM_PROXIES", "DJANGO_API_NUM_PROXIES"):
    if env(retired, default=None) is not None:
        raise ImproperlyConfigured(
            f"{retired} is no longer read: list the addresses of your proxies in DJANGO_TRUSTED_PROXIES"
        )

LOGGING = logging_config(env("DJANGO_LOG_FORMAT", default="json"))

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=True)
{%- if cookiecutter.use_sentry %}

# Named after the settings module in use, so staging's errors never count as production's.
SENTRY_ENVIRONMENT = env(
    "SENTRY_ENVIRONMENT", default=env("DJANGO_SETTINGS_MODULE", default=__name__).rpartition(".")[2]
)
SENTRY_ENABLED = sentry_init(
    dsn=env("SENTRY_DSN", default=""),
    environment=SENTRY_ENVIRONMENT,
    release=env("SENTRY_RELEASE", default={{ cookiecutter.version | canonical_version | pystr }}),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
{%- endif %}
