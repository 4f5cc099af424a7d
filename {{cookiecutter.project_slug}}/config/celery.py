"""The Celery application. Workers get production settings unless told otherwise."""

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache

from apps.observability.request_id import adopt_request_id, attach_request_id, forget_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

logger = logging.getLogger(__name__)

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


app = Celery({{ cookiecutter.project_slug | pystr }}, task_cls=DeliveryCountingTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task carries the id of the request that enqueued it (apps/observability/request_id.py).
before_task_publish.connect(attach_request_id)
task_prerun.connect(adopt_request_id)
task_postrun.connect(forget_request_id)
