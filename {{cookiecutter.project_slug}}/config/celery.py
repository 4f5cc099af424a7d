"""The Celery application. Workers get production settings unless told otherwise."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from apps.observability.request_id import adopt_request_id, attach_request_id, forget_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery({{ cookiecutter.project_slug | pystr }}, task_cls="apps.core.tasks:DeliveryCountingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task carries the id of the request that enqueued it (apps/observability/request_id.py).
before_task_publish.connect(attach_request_id)
task_prerun.connect(adopt_request_id)
task_postrun.connect(forget_request_id)
