"""Readiness checks: can this instance serve traffic right now?

Each check is cheap (one round trip) and bounded in time, so a load balancer can
poll it every few seconds.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
{%- if cookiecutter.use_celery %}

from config.celery import app as celery_app
{%- endif %}

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    # The cache swallows its own errors (a miss instead of a 500), so a round trip
    # that does not return what it stored is how an outage shows here.
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise ConnectionError("cache did not return the value it was given")
    cache.delete(key)
{%- if cookiecutter.use_celery %}


def check_broker() -> None:
    if celery_app.conf.task_always_eager:
        return
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=2)
{%- endif %}


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
{%- if cookiecutter.use_celery %}
    "broker": check_broker,
{%- endif %}
}


def readiness() -> dict[str, str]:
    """Run every check; map each name to "ok" or the reason it failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready"; it is reported by name
            logger.warning("Readiness check %s failed: %s", name, error)
            results[name] = f"failed: {type(error).__name__}"
        else:
            results[name] = "ok"
    return results
