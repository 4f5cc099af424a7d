import pytest
from django.core.management import CommandError, call_command

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
def test_without_a_task_queue_the_async_signal_fails() -> None:
    assert not pc.check_async_tasks().passed
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
def test_command_prints_every_signal_and_fails_below_six(capsys) -> None:
    with pytest.raises(CommandError, match="below 6"):
        call_command("production_check")

    output = capsys.readouterr().out
    assert output.count("PASS") + output.count("FAIL") == 8
    assert "Score: " in output
