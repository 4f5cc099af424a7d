"""The 8-signal production health check, run against the current settings and environment.

Every signal must pass: one failure is a failed check (exit status 1), whatever
the score. A signal that does not apply to this project is shown and skipped.
"""

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


@dataclass(frozen=True)
class Signal:
    name: str
    passed: bool
    detail: str
    applies: bool = True

    @property
    def failed(self) -> bool:
        return self.applies and not self.passed


def check_settings_split() -> Signal:
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    package = module.rpartition(".")[0]
    missing = [
        name
        for name in ("base", "local", "production")
        if not package or importlib.util.find_spec(f"{package}.{name}") is None
    ]
    if missing:
        where = module or "DJANGO_SETTINGS_MODULE"
        return Signal("Settings split", False, f"{where} has no {', '.join(missing)} beside it")
    return Signal("Settings split", True, f"{module}, beside base, local and production")


def check_secrets() -> Signal:
    key = settings.SECRET_KEY
    if settings.DEBUG:
        return Signal("Secret management", False, "DEBUG is on")
    if "DJANGO_SECRET_KEY" not in os.environ or key != os.environ["DJANGO_SECRET_KEY"]:
        return Signal("Secret management", False, "SECRET_KEY does not come from DJANGO_SECRET_KEY")
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure"):
        return Signal("Secret management", False, "SECRET_KEY is short or guessable")
    return Signal("Secret management", True, "key from the environment, DEBUG off")


def check_pooling() -> Signal:
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return Signal("Database pooling", False, f"{database['ENGINE']} is not PostgreSQL")
    if not database.get("OPTIONS", {}).get("pool"):
        return Signal("Database pooling", False, "no connection pool (OPTIONS['pool'])")
    checked = " with health checks" if database.get("CONN_HEALTH_CHECKS") else ""
    return Signal("Database pooling", True, f"psycopg pool{checked}")


def check_migrations() -> Signal:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # an unreachable database is a failed signal, not a crash
        return Signal("Migrations", False, f"cannot read the migration state: {_describe(error)}")
    if plan:
        return Signal("Migrations", False, f"{len(plan)} unapplied")
    return Signal("Migrations", True, "all applied")


def check_static_files() -> Signal:
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if "whitenoise.middleware.WhiteNoiseMiddleware" not in settings.MIDDLEWARE:
        return Signal("Static files", False, "WhiteNoise middleware is not installed")
    if "Manifest" not in backend:
        return Signal("Static files", False, f"{backend} has no hashed names for long caching")
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return Signal("Static files", False, f"collectstatic has not run ({manifest} missing)")
    return Signal("Static files", True, "collected, hashed, served by WhiteNoise")


def check_async_tasks() -> Signal:
{%- if cookiecutter.use_celery %}
    broker = getattr(settings, "CELERY_BROKER_URL", "")
    if not broker:
        return Signal("Async tasks", False, "no Celery broker configured")
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return Signal("Async tasks", False, "tasks run eagerly inside requests")
    return Signal("Async tasks", True, f"Celery via {broker.partition('://')[0]}")
{%- else %}
    # A project generated without a task queue sends its emails after the commit,
    # inside the request: a choice made at generation, not a fault to fix here.
    return Signal("Async tasks", False, "no task queue in this project: slow work runs inside requests", applies=False)
{%- endif %}


def check_cache() -> Signal:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("DummyCache", "LocMemCache")):
        return Signal("Caching", False, f"{backend.rpartition('.')[2]} is not shared between processes")
    return Signal("Caching", True, backend.rpartition(".")[2])


def check_deploy() -> Signal:
    problems = [m for m in checks.run_checks(include_deployment_checks=True) if m.level >= checks.WARNING]
    if problems:
        return Signal("Security", False, f"check --deploy: {', '.join(sorted({m.id or '?' for m in problems}))}")
    return Signal("Security", True, "check --deploy: no issues")


SIGNALS: tuple[Callable[[], Signal], ...] = (
    check_settings_split,
    check_secrets,
    check_pooling,
    check_migrations,
    check_static_files,
    check_async_tasks,
    check_cache,
    check_deploy,
)


def run_signal(check: Callable[[], Signal]) -> Signal:
    """One signal; a check that raises is a failed signal, so the others are still shown."""
    try:
        return check()
    except Exception as error:
        name = check.__name__.removeprefix("check_").replace("_", " ").capitalize()
        return Signal(name, False, f"the check raised {_describe(error)}")


def _describe(error: Exception) -> str:
    first_line = str(error).strip().partition("\n")[0]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


class Command(BaseCommand):
    help = "Run the 8-signal production health check; fails if any signal fails."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        signals = [run_signal(check) for check in SIGNALS]
        for number, signal in enumerate(signals, start=1):
            if not signal.applies:
                mark = self.style.WARNING("SKIP")
            else:
                mark = self.style.SUCCESS("PASS") if signal.passed else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {number}. {signal.name}: {signal.detail}")
        counted = [signal for signal in signals if signal.applies]
        skipped = len(signals) - len(counted)
        score = f"Score: {sum(signal.passed for signal in counted)}/{len(counted)}"
        self.stdout.write(f"{score} ({skipped} not applicable)" if skipped else score)
        failed = [signal for signal in signals if signal.failed]
        if failed:
            # The score is for reading; the exit status says whether anything failed.
            names = "; ".join(f"{signal.name} ({signal.detail})" for signal in failed)
            raise CommandError(f"{len(failed)} of {len(counted)} signals failed: {names}")
