"""pytest: fast and isolated. Point DATABASE_URL at PostgreSQL to test against it."""

import os

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env, redis_cache

DEBUG = False
SECRET_KEY = "test-only-key-never-used-outside-the-test-suite"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost"]

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
# The tests empty the cache around each of them, so they never use REDIS_URL: that Redis may hold
# your running server's sessions or another project's keys. Local memory, or the Redis named by
# TEST_REDIS_URL under a key prefix of this run's own, the only keys the tests delete there.
TEST_REDIS_URL = env("TEST_REDIS_URL", default="")
CACHES = {
    "default": {**redis_cache(TEST_REDIS_URL), "KEY_PREFIX": f"test-run-{os.getpid()}"}
    if TEST_REDIS_URL
    else {"BACKEND": "apps.observability.cache.LocMemCache"},
}
{%- if cookiecutter.use_celery %}
# Tasks run in-process; tests that need the real thing start a worker.
CELERY_TASK_ALWAYS_EAGER = True
{%- endif %}

# Hashing strength is not what the tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Concrete models over the abstract bases in apps.core, for the tests only.
INSTALLED_APPS = [*INSTALLED_APPS, "apps.core.tests.testapp"]
{%- if cookiecutter.use_tenancy %}
# A tenant-owned model for the tenancy tests, with the row-level security its migration creates.
INSTALLED_APPS += ["apps.tenancy.tests.testapp"]
{%- endif %}

# Serve from the finders without a collectstatic run (production uses the manifest).
WHITENOISE_AUTOREFRESH = True
