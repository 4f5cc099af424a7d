from ipaddress import ip_network
from typing import cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import BaseCache, cache
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from apps.api.throttling import AnonRateThrottle, CounterRateThrottle, ScopedRateThrottle, UserRateThrottle
from apps.core.ratelimit import window_count
from apps.users.tests.factories import UserFactory

WINDOW_START = 1_800_000_000.0  # a multiple of 60 and 3600


def freeze_throttle_clock(monkeypatch: pytest.MonkeyPatch, at: float = WINDOW_START + 30) -> None:
    """Every throttle reads one instant: requests straddling the end of a window would be counted in two.

    For tests that go through views, which make their own throttles; ``frozen`` below is for one throttle.
    """
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: at)


class ThreePerMinute(AnonRateThrottle):
    rate = "3/minute"


class CacheDown:
    """What django-redis answers with IGNORE_EXCEPTIONS while Redis is unreachable."""

    def incr(self, key: str) -> None:
        return None

    def add(self, key: str, value: int, timeout: int) -> None:
        return None


class LoginView(APIView):
    throttle_scope = "auth"


class PlainView(APIView):
    pass


def anonymous_request(address: str = "203.0.113.7", forwarded_for: str | None = None) -> Request:
    wsgi_request = APIRequestFactory().get("/", REMOTE_ADDR=address)
    if forwarded_for:
        wsgi_request.META["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = Request(wsgi_request)
    request.user = AnonymousUser()
    return request


def frozen(throttle_class: type[CounterRateThrottle], at: float) -> CounterRateThrottle:
    throttle = throttle_class()
    throttle.timer = lambda: at
    return throttle


def hits(throttle: type[CounterRateThrottle], request: Request, view: APIView, at: float, times: int) -> list[bool]:
    return [frozen(throttle, at).allow_request(request, view) for _ in range(times)]


class RivalWinsTheAdd:
    """The key is missing at incr(); another request creates it before this one's add()."""

    def incr(self, key: str) -> int:
        return cache.incr(key)

    def add(self, key: str, value: int, timeout: int) -> bool:
        cache.set(key, 1, timeout)
        return False


def test_the_request_over_the_rate_is_refused_with_the_rest_of_the_window_to_wait() -> None:
    request = anonymous_request()

    hits(ThreePerMinute, request, PlainView(), at=WINDOW_START + 45, times=3)

    throttle = frozen(ThreePerMinute, WINDOW_START + 45)
    assert throttle.allow_request(request, PlainView()) is False
    assert throttle.wait() == 15


def test_the_next_window_starts_a_new_count() -> None:
    request = anonymous_request()
    hits(ThreePerMinute, request, PlainView(), at=WINDOW_START + 59, times=3)

    assert hits(ThreePerMinute, request, PlainView(), at=WINDOW_START + 60, times=1) == [True]


def test_clients_are_counted_apart() -> None:
    hits(ThreePerMinute, anonymous_request("203.0.113.7"), PlainView(), at=WINDOW_START, times=3)

    assert hits(ThreePerMinute, anonymous_request("198.51.100.9"), PlainView(), at=WINDOW_START, times=1) == [True]


def test_a_forged_x_forwarded_for_does_not_buy_a_fresh_allowance() -> None:
    # A client that reaches the server directly, not through a trusted proxy.
    forged = [anonymous_request("203.0.113.7", forwarded_for=f"198.51.100.{n}") for n in range(4)]

    allowed = [frozen(ThreePerMinute, WINDOW_START).allow_request(request, PlainView()) for request in forged]

    assert allowed == [True, True, True, False]


def test_clients_behind_a_trusted_proxy_are_counted_apart(settings) -> None:
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24")]
    hits(ThreePerMinute, anonymous_request("10.0.0.2", forwarded_for="203.0.113.7"), PlainView(), WINDOW_START, 3)

    other = anonymous_request("10.0.0.2", forwarded_for="198.51.100.9")
    assert hits(ThreePerMinute, other, PlainView(), at=WINDOW_START, times=1) == [True]


def test_a_window_is_one_integer_in_the_cache() -> None:
    request = anonymous_request()
    throttle = ThreePerMinute()

    hits(ThreePerMinute, request, PlainView(), at=WINDOW_START, times=2)

    key = throttle.get_cache_key(request, PlainView())
    assert cache.get(f"{key}:{int(WINDOW_START // 60)}") == 2


def test_a_lost_race_for_the_first_request_still_counts() -> None:
    key = f"{ThreePerMinute().get_cache_key(anonymous_request(), PlainView())}:0"

    assert window_count(cast(BaseCache, RivalWinsTheAdd()), key, 60) == 2
    assert cache.get(key) == 2


def test_requests_pass_while_the_cache_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    request = anonymous_request()
    throttle = frozen(ThreePerMinute, WINDOW_START)
    monkeypatch.setattr(throttle, "cache", CacheDown())

    assert [throttle.allow_request(request, PlainView()) for _ in range(5)] == [True] * 5


def test_user_throttle_counts_users_not_addresses(db: None) -> None:
    alice, bob = UserFactory.create(), UserFactory.create()
    request_a = anonymous_request()
    request_a.user = alice
    request_b = anonymous_request()
    request_b.user = bob

    class OnePerHour(UserRateThrottle):
        rate = "1/hour"

    assert hits(OnePerHour, request_a, PlainView(), at=WINDOW_START, times=2) == [True, False]
    assert hits(OnePerHour, request_b, PlainView(), at=WINDOW_START, times=1) == [True]


def test_anonymous_throttle_leaves_signed_in_users_alone(db: None) -> None:
    request = anonymous_request()
    request.user = UserFactory.create()

    assert hits(ThreePerMinute, request, PlainView(), at=WINDOW_START, times=5) == [True] * 5


def test_scoped_throttle_applies_only_to_views_with_a_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/minute")
    request = anonymous_request()

    assert hits(ScopedRateThrottle, request, PlainView(), at=WINDOW_START, times=4) == [True] * 4
    assert hits(ScopedRateThrottle, request, LoginView(), at=WINDOW_START, times=4) == [True, True, False, False]
