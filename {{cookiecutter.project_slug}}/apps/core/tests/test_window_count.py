"""Fixed-window counting on Redis: one round trip per event, the window's first included."""

from typing import cast

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from django_redis.cache import RedisCache
from redis.connection import Connection

from apps.core.ratelimit import window_count
from apps.core.tests.test_cache import DEAD_REDIS

pytestmark = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache), reason="needs Redis: TEST_REDIS_URL runs the tests on one"
)


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every command batch written to Redis, as a client wrapper would count them."""
    sent: list[object] = []
    original = Connection.send_packed_command

    def counted(self: Connection, command: object, check_health: bool = True) -> None:
        sent.append(command)
        original(self, command, check_health)

    window_count(cache, "warm-up", 60)  # the script is loaded once per server; that is not per request
    monkeypatch.setattr(Connection, "send_packed_command", counted)
    return sent


def test_each_event_is_one_round_trip_the_windows_first_included(round_trips: list[object]) -> None:
    counts = []
    for _ in range(3):
        counts.append(window_count(cache, "api:203.0.113.7:29999", 60))

    assert counts == [1, 2, 3]
    assert len(round_trips) == 3


def test_the_window_expires_after_its_duration_and_reads_as_a_number() -> None:
    window_count(cache, "api:198.51.100.1:1", 60)
    window_count(cache, "api:198.51.100.1:1", 60)

    assert cache.get("api:198.51.100.1:1") == 2
    assert 59 <= cast(RedisCache, caches["default"]).ttl("api:198.51.100.1:1") <= 61


def test_redis_down_counts_nothing_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(CACHES={"default": DEAD_REDIS}):
        assert window_count(caches["default"], "api:203.0.113.7:1", 60) is None

    assert [record.name for record in caplog.records] == ["apps.core.cache"]
