"""Celery, read by config/celery.py through the CELERY_ namespace."""

from celery.schedules import crontab

from config.env import env

# No broker configured (a first local run, the unit tests): tasks run in-process,
# so nothing needs Redis. production.py requires a broker. Celery still opens a producer
# for an eager task: kombu's in-memory transport gives it one. Without a host in the URL
# kombu warns "No hostname was supplied" on every first task of a process.
_IN_PROCESS_BROKER = "memory://localhost/"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or _IN_PROCESS_BROKER
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == _IN_PROCESS_BROKER
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None

CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True

CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Acknowledge after the task finishes, and hand the message back if the worker
# dies mid-task, so a crash means "run again", never "lost". Tasks must therefore
# be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers a message nobody acknowledged after this many seconds. It must
# outlast the longest task plus the longest retry countdown, or a slow task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# Two queues: "critical" for work a user is waiting for, "default" for the rest.
# Run workers for both (`celery -A config worker -Q critical,default`) or one per queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "apps.users.tasks.*": {"queue": "critical"},
{%- if cookiecutter.include_example_app %}
    "apps.orders.tasks.*": {"queue": "critical"},
{%- endif %}
    "apps.core.tasks.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    "sessions-clear-expired": {
        "task": "apps.core.tasks.sessions_clear_expired_task",
        "schedule": crontab(hour=3, minute=17),
    },
{%- if cookiecutter.use_drf %}
    "jwt-blacklist-flush-expired": {
        "task": "apps.core.tasks.jwt_blacklist_flush_expired_task",
        "schedule": crontab(hour=3, minute=37),
    },
{%- endif %}
}

# Workers log through Django's LOGGING (JSON in production, with request ids).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Where a worker answers Prometheus (apps/observability/task_metrics.py), with the
# token of DJANGO_METRICS_TOKEN; 0 turns it off. Loopback unless told otherwise: in a
# container, set 0.0.0.0 and let the network policy decide who reaches it.
CELERY_WORKER_METRICS_ADDR = env("CELERY_WORKER_METRICS_ADDR", default="127.0.0.1")
CELERY_WORKER_METRICS_PORT = env.int("CELERY_WORKER_METRICS_PORT", default=9808)

# Events for Flower.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
