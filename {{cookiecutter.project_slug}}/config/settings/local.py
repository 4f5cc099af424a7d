"""Developer laptop: runs with no environment at all, on SQLite."""

import importlib.util
import tempfile
import warnings
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, MIDDLEWARE, {% if cookiecutter.use_drf %}REST_FRAMEWORK, {% endif %}env


def _local_secret_key(key_file: Path = BASE_DIR / ".secret_key") -> str:
    # Made on first run into a git-ignored file, so no key is ever committed
    # and sessions survive restarts of runserver.
    try:
        if not key_file.exists():
            # Written aside, then linked into place: processes starting together (the app and
            # a worker) agree on one key, and none reads a file that is still being written.
            with tempfile.NamedTemporaryFile("w", dir=key_file.parent, delete=False) as handle:
                handle.write(get_random_secret_key())
            draft = Path(handle.name)
            try:
                key_file.hardlink_to(draft)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return key_file.read_text().strip()
    except OSError as error:
        # A read-only checkout, or a key file another user made (private to them, as a secret
        # should be): a key for this process only still serves, but logs everyone out on restart.
        warnings.warn(
            f"{key_file}: {error.strerror}; using a key for this process only (set DJANGO_SECRET_KEY to keep one)",
            RuntimeWarning,
            stacklevel=1,
        )
        return get_random_secret_key()


DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _local_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The debug toolbar shows only with DEBUG, and only to requests from these addresses.
INTERNAL_IPS = ["127.0.0.1", "::1"]
# The console shows the mail sent, unless DJANGO_EMAIL_BACKEND names SMTP: then it goes to this
# server, by default a mail viewer such as Mailpit on this machine.
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=1025)
# A start page at / with links to the admin, the probes and any API docs; production has none.
ROOT_URLCONF = "config.urls_local"
# Covering indexes (Index(include=...)) are PostgreSQL's; SQLite builds them without the extra
# columns, which costs a laptop nothing worth a warning on every migrate.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# django-debug-toolbar (requirements/local.txt): the SQL queries, templates, cache calls and timings
# of each request. Only these settings name it: production does not install it, and the tests'
# settings never load it.
{%- if cookiecutter.use_docker %}
# The compose image holds the production requirements only: there the server runs without it.
{%- endif %}
if importlib.util.find_spec("debug_toolbar"):
    INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]
    # First, so that its timings and SQL cover every other middleware (sessions and users are queries).
    MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *MIDDLEWARE]
{%- if cookiecutter.use_drf %}

# The browsable API is a development convenience; production answers JSON only. A browser sends
# no bearer token, so here the API also accepts the session of a login at the admin.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        *REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        *REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
{%- endif %}
