"""A Redis outage degrades to cache misses and a warning, never an exception."""

import logging

import pytest
from django.core.cache import caches
from django.test import override_settings

from apps.users.selectors import user_stats
from config.settings.base import redis_cache

# Nothing listens on the discard port: every call fails at connect time.
DEAD_REDIS = redis_cache("redis://127.0.0.1:9/0")


@pytest.fixture
def dead_redis():
    with override_settings(CACHES={"default": DEAD_REDIS}):
        yield caches["default"]


def test_dead_redis_answers_with_misses(dead_redis, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="apps.core.cache"):
        dead_redis.set("key", "value")
        value = dead_redis.get("key")

    assert value is None
    warnings = [r for r in caplog.records if r.name == "apps.core.cache"]
    assert len(warnings) == 2
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert warnings[0].getMessage().startswith("Cache unavailable, serving without it: ConnectionInterrupted")
    assert warnings[0].exc_info is None


@pytest.mark.django_db
def test_cached_selector_still_answers_during_an_outage(dead_redis) -> None:
    assert user_stats() == {"total": 0, "active": 0, "staff": 0}


def test_redis_cache_fails_fast_and_never_raises() -> None:
    options = DEAD_REDIS["OPTIONS"]

    assert options["IGNORE_EXCEPTIONS"] is True
    assert options["SOCKET_CONNECT_TIMEOUT"] <= 1
    assert options["SOCKET_TIMEOUT"] <= 1
