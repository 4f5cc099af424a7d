from unittest import mock

import pytest
from django.test import Client, override_settings

from apps.observability import health
from config.settings.base import redis_cache

pytestmark = pytest.mark.django_db

DEAD_REDIS = redis_cache("redis://127.0.0.1:9/0")


def test_ready_when_every_dependency_answers(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(health.CHECKS, "ok")}
    assert "no-cache" in response["Cache-Control"]


def test_database_outage_is_a_503_naming_the_database(client: Client) -> None:
    with mock.patch.dict(health.CHECKS, database=mock.Mock(side_effect=OSError("connection refused"))):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "failed: OSError"
    assert body["checks"]["cache"] == "ok"


def test_cache_outage_is_a_503_naming_the_cache(client: Client) -> None:
    with override_settings(CACHES={"default": DEAD_REDIS}):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


def test_database_check_really_queries(django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        health.check_database()
{%- if cookiecutter.use_celery %}


def test_unreachable_broker_is_reported(client: Client) -> None:
    conf = health.celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:9/0"
    try:
        response = client.get("/readyz")
    finally:
        conf.task_always_eager, conf.broker_url = saved

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("failed:")
{%- endif %}
