"""The cache backends of the settings, counting hits and misses for the metrics (apps/observability/metrics.py).

Only lookups are counted (``get``, ``get_many``): that is where a hit or a miss means
something. ``get_or_set`` and the sessions' reads go through ``get``.
"""

from typing import Any

from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django_redis.cache import RedisCache as DjangoRedisCache

from apps.observability.metrics import count_cache_gets

# Tells a miss from a stored None; never stored itself.
_MISSING = object()


class CountingMixin:
    def get(self, key: Any, default: Any = None, version: int | None = None, **kwargs: Any) -> Any:
        value = super().get(key, _MISSING, version=version, **kwargs)  # type: ignore[misc]
        if value is _MISSING:
            count_cache_gets(hits=0, misses=1)
            return default
        count_cache_gets(hits=1, misses=0)
        return value


class RedisCache(CountingMixin, DjangoRedisCache):
    """django-redis; with IGNORE_EXCEPTIONS a Redis outage shows as misses."""

    # Django's own backends look up many keys one ``get`` at a time; django-redis in one round trip.
    def get_many(self, keys: Any, version: int | None = None, **kwargs: Any) -> dict[Any, Any]:
        keys = list(keys)
        found = super().get_many(keys, version=version, **kwargs)
        count_cache_gets(hits=len(found), misses=len(keys) - len(found))
        return found


class LocMemCache(CountingMixin, DjangoLocMemCache):
    """Django's local-memory cache (development and tests)."""
