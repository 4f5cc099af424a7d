"""The task decorator every app's tasks use, the base class of every task, and the core's own tasks.

``@task(**RETRY_TRANSIENT_ERRORS)`` in an app's tasks.py is Celery's ``shared_task``:
the tasks bind to the project's app (config/celery.py), whose tasks are
``DeliveryCountingTask``s.
"""

import logging
from smtplib import SMTPException
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

logger = logging.getLogger(__name__)

# The decorator of every task in the project: `@task` or `@task(**options)`.
task = shared_task

# Mail servers and networks fail for a while; tasks that talk to them retry these
# with exponential backoff and jitter: `@task(**RETRY_TRANSIENT_ERRORS)`.
# Waits of up to 5 s, 10 s, 20 s ... capped at 10 minutes: ten retries cover an outage
# of about forty minutes, not the half minute that backoff from 1 s and five retries would.
# Each wait stays under the broker's visibility timeout, so a waiting retry is not redelivered.
RETRY_TRANSIENT_ERRORS: dict[str, Any] = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}

# A message whose task kills its worker (out of memory, a segfault in a C library)
# is handed back by task_reject_on_worker_lost and would kill the next worker too,
# forever. Deliveries that never finished are counted; past this many, the message
# is dropped with an error instead of run.
MAX_UNFINISHED_DELIVERIES = 3
MSG_POISON_DROPPED = (
    "Dropped task %s[%s]: its last %d deliveries never finished (the worker running it died each time)."
)


def unfinished_deliveries_key(task_id: str) -> str:
    return f"celery:unfinished-deliveries:{task_id}"


def unfinished_deliveries(key: str) -> int:
    """Count this delivery; return how many before it never finished (0 when the cache cannot say)."""
    # Outlives the redeliveries it counts: each comes back within the visibility timeout.
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] * (MAX_UNFINISHED_DELIVERIES + 1)
    cache.add(key, 0, timeout)
    try:
        deliveries = cache.incr(key)
    except ValueError:  # expired between add and incr
        return 0
    # None: Redis is down and the cache ignores it (IGNORE_EXCEPTIONS); run the task.
    return deliveries - 1 if deliveries else 0


class DeliveryCountingTask(Task):
    """The base of every task: drops a message that keeps killing its workers (see above)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        if task_id is None:  # called as a plain function, not delivered
            return super().__call__(*args, **kwargs)
        key = unfinished_deliveries_key(task_id)
        unfinished = unfinished_deliveries(key)
        if unfinished >= MAX_UNFINISHED_DELIVERIES:
            # The count is left to expire: a copy of this message that comes back later (Redis
            # re-delivers one left unacknowledged past the visibility timeout) is dropped too.
            logger.error(MSG_POISON_DROPPED, self.name, task_id, unfinished)
            return None
        try:
            # As Celery runs a task without a __call__ of its own: the tracer has already
            # pushed this delivery's request, which Task.__call__ would replace.
            return self.run(*args, **kwargs)
        finally:
            # Reached on success, failure and retry alike: only a dead worker skips it.
            cache.delete(key)


@task
def sessions_clear_expired_task() -> None:
    """Expired database sessions are never removed by Django itself; beat runs this nightly."""
    call_command("clearsessions")
{%- if cookiecutter.use_drf %}


@task
def jwt_blacklist_flush_expired_task() -> None:
    """Blacklisted refresh tokens matter only until they expire; afterwards they are clutter."""
    call_command("flushexpiredtokens")
{%- endif %}
