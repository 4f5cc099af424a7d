"""The production settings module, imported for real under controlled environments."""

import importlib
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "example.com,.example.com",
    "DJANGO_ADMIN_URL": "backstage-7f3a",
    "DATABASE_URL": "postgres://app:secret@db.internal:5432/app",
    "REDIS_URL": "redis://cache.internal:6379/0",
{%- if cookiecutter.use_celery %}
    "CELERY_BROKER_URL": "redis://cache.internal:6379/1",
{%- endif %}
{%- if cookiecutter.cloud_storage == "s3" %}
    "DJANGO_AWS_STORAGE_BUCKET_NAME": "media-bucket",
    "DJANGO_AWS_S3_REGION_NAME": "eu-west-1",
{%- endif %}
}
OPTIONAL_ENV = (
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_READ_DOT_ENV_FILE",
    "DJANGO_DB_POOL",
    "DJANGO_API_NUM_PROXIES",
    "DJANGO_NUM_PROXIES",
    "DJANGO_TRUSTED_PROXIES",
    "DJANGO_ADMIN_LOGIN_ATTEMPTS_PER_MINUTE",
    "DJANGO_PASSWORD_RESET_URL",
    "DJANGO_EMAIL_VERIFY_URL",
    "DJANGO_EMAIL_CHANGE_URL",
    "DJANGO_EMAIL_BACKEND",
    "DJANGO_EMAIL_HOST",
    "DJANGO_EMAIL_PORT",
    "TEST_REDIS_URL",
{%- if cookiecutter.cloud_storage == "s3" %}
    "DJANGO_AWS_S3_ENDPOINT_URL",
    "DJANGO_AWS_ACCESS_KEY_ID",
    "DJANGO_AWS_SECRET_ACCESS_KEY",
    "DJANGO_AWS_S3_ADDRESSING_STYLE",
    "DJANGO_AWS_SIGNED_URL_SECONDS",
{%- endif %}
{%- if cookiecutter.use_sentry %}
    "SENTRY_ENVIRONMENT",
{%- endif %}
)

# The links mailed for password reset, address verification and email changes, and their settings.
LINK_SETTINGS = [
    ("DJANGO_PASSWORD_RESET_URL", "PASSWORD_RESET_URL"),
    ("DJANGO_EMAIL_VERIFY_URL", "EMAIL_VERIFY_URL"),
    ("DJANGO_EMAIL_CHANGE_URL", "EMAIL_CHANGE_URL"),
]


def load(module: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    for name in (*PRODUCTION_ENV, *OPTIONAL_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_READ_DOT_ENV_FILE", "false")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Settings modules read the environment once, at import: import them afresh.
    for loaded in [name for name in sys.modules if name.startswith("config.settings.")]:
        monkeypatch.delitem(sys.modules, loaded)
    return importlib.import_module(module)


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_required_variable(monkeypatch, missing) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    with pytest.raises(ImproperlyConfigured, match=missing):
        load("config.settings.production", monkeypatch, env)


def test_production_refuses_an_empty_host_list(monkeypatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS"):
        load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": ""})


@pytest.mark.parametrize("admin_url", ["admin/", "/admin", "/"])
def test_production_refuses_the_default_admin_path(monkeypatch, admin_url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ADMIN_URL must not be admin/"):
        load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "DJANGO_ADMIN_URL": admin_url})


def test_production_admin_path_is_normalised(monkeypatch) -> None:
    assert load("config.settings.production", monkeypatch, PRODUCTION_ENV).ADMIN_URL == "backstage-7f3a/"


def test_production_refuses_sqlite(monkeypatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///db.sqlite3"})


def test_production_uses_the_native_pool_and_health_checks(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, PRODUCTION_ENV)

    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "db.internal"
    assert database["CONN_MAX_AGE"] == 0
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"]["pool"]["max_size"] == 10
    assert "statement_timeout=30000" in database["OPTIONS"]["options"]


def test_production_keeps_the_connection_options_of_the_database_url(monkeypatch) -> None:
    url = "postgres://app:secret@db.internal:5432/app?sslmode=verify-full&options=-c%20search_path%3Dshop"
    settings = load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "DATABASE_URL": url})

    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["sslmode"] == "verify-full"
    assert options["options"] == "-c search_path=shop -c statement_timeout=30000"
    assert "pool" in options


def test_the_pool_can_be_turned_off_for_processes_that_must_not_keep_one(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "DJANGO_DB_POOL": "false"})

    options = settings.DATABASES["default"]["OPTIONS"]
    assert "pool" not in options
    assert options["options"] == "-c statement_timeout=30000"


def test_production_is_locked_down(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, PRODUCTION_ENV)

    assert settings.DEBUG is False
    assert settings.ALLOWED_HOSTS == ["example.com", ".example.com"]
    assert settings.CSRF_TRUSTED_ORIGINS == []
    assert settings.SECURE_SSL_REDIRECT is True
    assert settings.SECURE_HSTS_SECONDS >= 31536000
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_production_never_names_the_debug_toolbar(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, PRODUCTION_ENV)

    assert settings.DEBUG is False
    assert "debug_toolbar" not in settings.INSTALLED_APPS
    assert not any("debug_toolbar" in middleware for middleware in settings.MIDDLEWARE)
    assert settings.ROOT_URLCONF == "config.urls"


def test_production_caches_in_redis(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, PRODUCTION_ENV)

    cache = settings.CACHES["default"]
    assert cache["BACKEND"] == "apps.observability.cache.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/0"
    assert cache["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
{%- if cookiecutter.use_celery %}


def test_production_sends_tasks_to_the_broker(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, PRODUCTION_ENV)

    assert settings.CELERY_BROKER_URL == "redis://cache.internal:6379/1"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]


def test_local_runs_tasks_eagerly_until_a_broker_is_configured(monkeypatch) -> None:
    assert load("config.settings.local", monkeypatch, {}).CELERY_TASK_ALWAYS_EAGER is True
    with_broker = load("config.settings.local", monkeypatch, {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/1"})
    assert with_broker.CELERY_TASK_ALWAYS_EAGER is False
{%- endif %}


def test_staging_is_production(monkeypatch) -> None:
    settings = load("config.settings.staging", monkeypatch, PRODUCTION_ENV)

    assert settings.DEBUG is False
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_production_trusts_only_a_proxy_on_loopback_unless_told(monkeypatch) -> None:
    def trusted(env: dict[str, str]) -> list[str]:
        settings = load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, **env})
        return [str(network) for network in settings.TRUSTED_PROXIES]

    assert trusted({}) == ["127.0.0.1/32", "::1/128"]
    assert trusted({"DJANGO_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}) == ["10.0.0.0/8", "192.0.2.7/32"]


def test_a_proxy_range_with_a_typo_stops_the_start(monkeypatch) -> None:
    with pytest.raises(ValueError, match="has host bits set"):
        load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "DJANGO_TRUSTED_PROXIES": "10.0.0.1/8"})


@pytest.mark.parametrize("retired", ["DJANGO_NUM_PROXIES", "DJANGO_API_NUM_PROXIES"])
def test_production_refuses_a_count_of_proxies(monkeypatch, retired: str) -> None:
    # It made X-Forwarded-For believed from any caller; the proxies must now be named.
    with pytest.raises(ImproperlyConfigured, match=f"{retired} is no longer read.*DJANGO_TRUSTED_PROXIES"):
        load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, retired: "1"})


def test_the_admin_login_limit_is_ten_a_minute_unless_set(monkeypatch) -> None:
    assert load("config.settings.production", monkeypatch, PRODUCTION_ENV).ADMIN_LOGIN_ATTEMPTS_PER_MINUTE == 10
    five = {**PRODUCTION_ENV, "DJANGO_ADMIN_LOGIN_ATTEMPTS_PER_MINUTE": "5"}
    assert load("config.settings.production", monkeypatch, five).ADMIN_LOGIN_ATTEMPTS_PER_MINUTE == 5


{%- if cookiecutter.use_sentry %}


@pytest.mark.parametrize("module", ["production", "staging"])
def test_errors_are_reported_under_the_name_of_the_settings_in_use(monkeypatch, module: str) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", f"config.settings.{module}")

    reported_as = load(f"config.settings.{module}", monkeypatch, PRODUCTION_ENV).SENTRY_ENVIRONMENT

    assert reported_as == module
{%- endif %}


def test_local_runs_with_no_environment(monkeypatch) -> None:
    settings = load("config.settings.local", monkeypatch, {})

    assert settings.CACHES["default"]["BACKEND"] == "apps.observability.cache.LocMemCache"
    assert settings.DEBUG is True
    assert len(settings.SECRET_KEY) >= 50
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_local_mail_goes_to_the_console_or_to_a_mail_viewer(monkeypatch) -> None:
    assert load("config.settings.local", monkeypatch, {}).EMAIL_BACKEND.endswith(".console.EmailBackend")

    smtp = "django.core.mail.backends.smtp.EmailBackend"
    on_this_machine = load("config.settings.local", monkeypatch, {"DJANGO_EMAIL_BACKEND": smtp})
    named_server = load(
        "config.settings.local",
        monkeypatch,
        {"DJANGO_EMAIL_BACKEND": smtp, "DJANGO_EMAIL_HOST": "mailpit", "DJANGO_EMAIL_PORT": "2525"},
    )

    assert on_this_machine.EMAIL_BACKEND.endswith(".smtp.EmailBackend")
    assert (on_this_machine.EMAIL_HOST, on_this_machine.EMAIL_PORT) == ("127.0.0.1", 1025)
    assert (named_server.EMAIL_HOST, named_server.EMAIL_PORT) == ("mailpit", 2525)


def test_local_secret_key_is_made_once_and_kept_private(monkeypatch, tmp_path: Path) -> None:
    make_key = load("config.settings.local", monkeypatch, {})._local_secret_key
    key_file = tmp_path / ".secret_key"

    first, again = make_key(key_file), make_key(key_file)

    assert len(first) >= 50
    assert again == first == key_file.read_text()
    assert key_file.stat().st_mode & 0o077 == 0
    assert [path.name for path in tmp_path.iterdir()] == [".secret_key"]


def test_processes_starting_together_agree_on_one_local_key(monkeypatch, tmp_path: Path) -> None:
    make_key = load("config.settings.local", monkeypatch, {})._local_secret_key
    key_file = tmp_path / ".secret_key"

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: make_key(key_file), range(32)))

    assert keys == {key_file.read_text()}
    assert "" not in keys


def test_tests_leave_the_redis_of_redis_url_alone(monkeypatch) -> None:
    settings = load("config.settings.test", monkeypatch, {"REDIS_URL": "redis://127.0.0.1:6379/0"})

    assert settings.CACHES["default"]["BACKEND"] == "apps.observability.cache.LocMemCache"


def test_tests_on_redis_keep_to_a_key_prefix_of_their_own(monkeypatch) -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "TEST_REDIS_URL": "redis://127.0.0.1:6379/9"}

    cache = load("config.settings.test", monkeypatch, env).CACHES["default"]

    assert cache["LOCATION"] == "redis://127.0.0.1:6379/9"
    assert cache["KEY_PREFIX"] != load("config.settings.local", monkeypatch, env).CACHES["default"]["KEY_PREFIX"]


@pytest.mark.parametrize(("variable", "setting"), LINK_SETTINGS)
def test_emailed_links_point_at_the_frontend_named_in_the_environment(monkeypatch, variable, setting) -> None:
    url = "https://app.example.com/account/page?uid={uid}&token={token}"

    settings = load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, variable: url})

    assert url == getattr(settings, setting)
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/page/",
        "https://app.example.com/page/{uid}/",
        "https://app.example.com/page/{uid}/{token}/{step}/",
        "https://app.example.com/page/{0}/{uid}/{token}/",
        "https://app.example.com/page/{uid.hex}/{token}/",
        "https://app.example.com/page/{uid/{token}/",
    ],
)
@pytest.mark.parametrize(("variable", "setting"), LINK_SETTINGS)
def test_an_emailed_link_it_cannot_fill_stops_the_start(monkeypatch, variable: str, setting: str, url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"{variable} must contain"):
        load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, variable: url})
{%- if cookiecutter.cloud_storage == "s3" %}


def test_production_keeps_uploads_private_in_the_bucket(monkeypatch) -> None:
    settings = load("config.settings.production", monkeypatch, PRODUCTION_ENV)

    storage = settings.STORAGES["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["region_name"]) == ("media-bucket", "eu-west-1")
    # AWS itself, with boto3's own credentials (a role) when no keys are given.
    assert options["endpoint_url"] is None
    assert options["access_key"] is None
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 300
    assert options["file_overwrite"] is False
    assert options["client_config"].signature_version == "s3v4"


def test_an_empty_endpoint_or_key_means_unset(monkeypatch) -> None:
    env = {**PRODUCTION_ENV, "DJANGO_AWS_S3_ENDPOINT_URL": "", "DJANGO_AWS_ACCESS_KEY_ID": ""}

    options = load("config.settings.production", monkeypatch, env).STORAGES["default"]["OPTIONS"]

    assert options["endpoint_url"] is None
    assert options["access_key"] is None


def test_production_reads_another_s3_compatible_store(monkeypatch) -> None:
    env = {
        **PRODUCTION_ENV,
        "DJANGO_AWS_S3_ENDPOINT_URL": "https://account.r2.cloudflarestorage.com",
        "DJANGO_AWS_S3_REGION_NAME": "auto",
        "DJANGO_AWS_ACCESS_KEY_ID": "key-id",
        "DJANGO_AWS_SECRET_ACCESS_KEY": "key-secret",
        "DJANGO_AWS_S3_ADDRESSING_STYLE": "path",
        "DJANGO_AWS_SIGNED_URL_SECONDS": "60",
    }

    options = load("config.settings.production", monkeypatch, env).STORAGES["default"]["OPTIONS"]

    assert options["endpoint_url"] == "https://account.r2.cloudflarestorage.com"
    assert (options["region_name"], options["access_key"], options["secret_key"]) == ("auto", "key-id", "key-secret")
    assert options["client_config"].s3 == {"addressing_style": "path"}
    assert options["querystring_expire"] == 60
{%- endif %}
