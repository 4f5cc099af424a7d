"""The task decorator every app's tasks use, the base class of every task, and the core's own tasks.

``@task(**RETRY_TRANSIENT_ERRORS)`` in an app's tasks.py is Celery's ``shared_task``:
the tasks bind to the project's app (config/celery.py), whose tasks are
``DeliveryCountingTask``s.
"""

import logging
{%- if cookiecutter.use_tenancy %}
from contextlib import AbstractContextManager, nullcontext
{%- endif %}
from smtplib import SMTPException
from typing import Any

from celery import Task, shared_task
from django.core.cache import cache
from django.core.management import call_command
{%- if cookiecutter.use_tenancy %}

from apps.tenancy.context import current_tenant_id, tenant_context
from apps.tenancy.models import Tenant
{%- endif %}

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
# The count must outlive every copy of the message, and when the next one comes is up
# to the worker (it notices a dead process seconds later on a busy machine) and to
# the queue (Redis puts a copy unacknowledged past the visibility timeout at its end,
# behind any backlog). A week is far more than either, and only a dropped message
# keeps its count that long: a delivery that finishes deletes it.
DELIVERY_COUNT_TIMEOUT = 7 * 24 * 60 * 60
MSG_POISON_DROPPED = (
    "Dropped task %s[%s]: its last %d deliveries never finished (the worker running it died each time)."
)
MSG_POISON_COPY_DROPPED = "Dropped task %s[%s] again: a copy of a message dropped before."
{%- if cookiecutter.use_tenancy %}
# The message header that carries the tenant a task was enqueued in.
TENANT_ID_HEADER = "tenant_id"
{%- endif %}


def unfinished_deliveries_key(task_id: str) -> str:
    return f"celery:unfinished-deliveries:{task_id}"


def delivery_number(key: str) -> int:
    """Count this delivery; return its number since one last finished (0 when the cache cannot say)."""
    cache.add(key, 0, DELIVERY_COUNT_TIMEOUT)
    try:
        # Atomic in Redis: copies of one message running at once each get a number of their own.
        number = cache.incr(key)
    except ValueError:  # deleted since the add: a copy finished, so this message is no poison
        return 0
    # None: Redis is down and the cache ignores it (IGNORE_EXCEPTIONS); run the task.
    return number or 0


class DeliveryCountingTask(Task):
    """The base of every task: drops a message that keeps killing its workers (see above).{% if cookiecutter.use_tenancy %}

    A task enqueued inside a tenant runs inside it: its message carries the tenant's id.
    {% endif %}"""
{%- if cookiecutter.use_tenancy %}

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        tenant_id = current_tenant_id()
        if tenant_id is not None:
            options["headers"] = {**(options.get("headers") or {}), TENANT_ID_HEADER: tenant_id}
        return super().apply_async(args, kwargs, **options)

    def tenant_scope(self) -> AbstractContextManager[object]:
        tenant_id = (self.request.headers or {}).get(TENANT_ID_HEADER)
        return nullcontext() if tenant_id is None else tenant_context(Tenant.objects.get(pk=tenant_id))
{%- endif %}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        if task_id is None:  # called as a plain function, not delivered
            return super().__call__(*args, **kwargs)
        key = unfinished_deliveries_key(task_id)
        number = delivery_number(key)
        if number > MAX_UNFINISHED_DELIVERIES:
            # The count is left to expire, so every later copy of this message is dropped too,
            # but only the first drop is an error: one report per message, however many copies.
            if number == MAX_UNFINISHED_DELIVERIES + 1:
                logger.error(MSG_POISON_DROPPED, self.name, task_id, MAX_UNFINISHED_DELIVERIES)
            else:
                logger.warning(MSG_POISON_COPY_DROPPED, self.name, task_id)
            return None
        try:
            # As Celery runs a task without a __call__ of its own: the tracer has already
            # pushed this delivery's request, which Task.__call__ would replace.
{%- if cookiecutter.use_tenancy %}
            with self.tenant_scope():
                return self.run(*args, **kwargs)
{%- else %}
            return self.run(*args, **kwargs)
{%- endif %}
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
