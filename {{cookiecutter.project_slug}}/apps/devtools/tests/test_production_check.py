import socket
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db.utils import ConnectionHandler

from apps.devtools.management.commands import production_check as pc

POOLED = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "app",
        "OPTIONS": {"pool": {"min_size": 2}},
        "CONN_HEALTH_CHECKS": True,
    }
}


def test_settings_split_is_recognised(monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    assert pc.check_settings_split().passed

    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "settings")
    signal = pc.check_settings_split()
    assert not signal.passed
    assert "has no base, local, production" in signal.detail


def test_secret_must_come_from_the_environment(settings, monkeypatch) -> None:
    key = "a1B2-c3D4_" * 6
    settings.SECRET_KEY = key
    monkeypatch.setenv("DJANGO_SECRET_KEY", key)
    assert pc.check_secrets().passed

    monkeypatch.setenv("DJANGO_SECRET_KEY", "something-else")
    assert pc.check_secrets().detail == "SECRET_KEY does not come from DJANGO_SECRET_KEY"

    settings.DEBUG = True
    assert pc.check_secrets().detail == "DEBUG is on"


def test_weak_secret_fails(settings, monkeypatch) -> None:
    settings.SECRET_KEY = "short"
    monkeypatch.setenv("DJANGO_SECRET_KEY", "short")

    assert pc.check_secrets().detail == "SECRET_KEY is short or guessable"


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_pooling_needs_postgres_and_a_pool(settings) -> None:
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    assert pc.check_pooling().detail == "django.db.backends.sqlite3 is not PostgreSQL"

    settings.DATABASES = POOLED
    assert pc.check_pooling() == pc.Signal("Database pooling", True, "psycopg pool with health checks")

    settings.DATABASES = {"default": {**POOLED["default"], "OPTIONS": {}}}
    assert pc.check_pooling().detail == "no connection pool (OPTIONS['pool'])"


@pytest.mark.django_db
def test_migrations_are_all_applied_in_the_test_database() -> None:
    assert pc.check_migrations() == pc.Signal("Migrations", True, "all applied")


def unreachable_database() -> ConnectionHandler:
    """A PostgreSQL database on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return ConnectionHandler(
        {"default": {**POOLED["default"], "OPTIONS": {}, "HOST": "127.0.0.1", "PORT": port, "USER": "app"}}
    )


@pytest.fixture
def unreachable(monkeypatch, django_db_blocker) -> Iterator[None]:
    # Unblocked: the connection is really attempted, and refused.
    monkeypatch.setattr(pc, "connections", unreachable_database())
    with django_db_blocker.unblock():
        yield


@pytest.mark.usefixtures("unreachable")
def test_an_unreachable_database_fails_the_migrations_signal() -> None:
    signal = pc.check_migrations()

    assert not signal.passed
    assert signal.detail.startswith("cannot read the migration state: OperationalError: ")


def test_static_files_need_whitenoise_a_manifest_and_collectstatic(settings, tmp_path) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert "collectstatic has not run" in pc.check_static_files().detail

    (tmp_path / "staticfiles.json").write_text("{}")
    assert pc.check_static_files().passed

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "whitenoise" not in m]
    assert pc.check_static_files().detail == "WhiteNoise middleware is not installed"


{% if cookiecutter.use_celery -%}
def test_async_tasks_need_a_broker_and_no_eager_mode(settings) -> None:
    settings.CELERY_BROKER_URL = ""
    assert pc.check_async_tasks().detail == "no Celery broker configured"

    settings.CELERY_BROKER_URL = "redis://cache:6379/1"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert pc.check_async_tasks().detail == "tasks run eagerly inside requests"

    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert pc.check_async_tasks() == pc.Signal("Async tasks", True, "Celery via redis")
{% else -%}
def test_without_a_task_queue_the_async_signal_does_not_apply() -> None:
    signal = pc.check_async_tasks()

    assert not signal.applies
    assert not signal.failed
{% endif %}

def test_cache_must_be_shared(settings) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert pc.check_cache().detail == "LocMemCache is not shared between processes"

    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://x:6379/0"}}
    assert pc.check_cache().passed


def test_deploy_checks_fail_under_test_settings() -> None:
    signal = pc.check_deploy()

    assert not signal.passed
    assert "security.W004" in signal.detail


@pytest.mark.django_db
def test_command_prints_every_signal_and_names_the_failures(capsys) -> None:
    # The test settings are not production settings: DEBUG-free but insecure.
    with pytest.raises(CommandError, match=r"signals failed: .*Security \(check --deploy: "):
        call_command("production_check")

    output = capsys.readouterr().out
    assert output.count("PASS") + output.count("FAIL") + output.count("SKIP") == 8
    assert "Score: " in output


def passing(name: str):
    return lambda: pc.Signal(name, True, "fine")


SEVEN_PASSING = tuple(passing(f"Signal {number}") for number in range(1, 8))


@pytest.mark.usefixtures("unreachable")
def test_one_failed_signal_fails_the_command_whatever_the_score(monkeypatch, capsys) -> None:
    monkeypatch.setattr(pc, "SIGNALS", (*SEVEN_PASSING, pc.check_migrations))

    with pytest.raises(CommandError, match=r"^1 of 8 signals failed: Migrations \(cannot read the migration state"):
        call_command("production_check")

    output = capsys.readouterr().out
    assert "FAIL 8. Migrations: cannot read the migration state: OperationalError" in output
    assert "Score: 7/8" in output


def test_the_command_passes_when_every_signal_passes(monkeypatch, capsys) -> None:
    monkeypatch.setattr(pc, "SIGNALS", (*SEVEN_PASSING, passing("Signal 8")))

    call_command("production_check")

    assert "Score: 8/8\n" in capsys.readouterr().out


def test_a_signal_that_does_not_apply_is_shown_and_not_counted(monkeypatch, capsys) -> None:
    def not_applicable() -> pc.Signal:
        return pc.Signal("Async tasks", False, "no task queue", applies=False)

    monkeypatch.setattr(pc, "SIGNALS", (*SEVEN_PASSING, not_applicable))

    call_command("production_check")

    output = capsys.readouterr().out
    assert "SKIP 8. Async tasks: no task queue" in output
    assert "Score: 7/7 (1 not applicable)" in output


def test_a_check_that_raises_is_a_failed_signal_and_the_others_still_run(monkeypatch, capsys) -> None:
    def check_cache() -> pc.Signal:
        raise ConnectionError("cache host unknown")

    monkeypatch.setattr(pc, "SIGNALS", (check_cache, *SEVEN_PASSING))

    with pytest.raises(CommandError, match=r"^1 of 8 signals failed: Cache \(the check raised ConnectionError"):
        call_command("production_check")

    output = capsys.readouterr().out
    assert "FAIL 1. Cache: the check raised ConnectionError: cache host unknown" in output
    assert output.count("PASS") == 7
