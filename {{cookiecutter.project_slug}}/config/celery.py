"""The Celery application. Workers get production settings unless told otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery({{ cookiecutter.project_slug | tojson }})
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
