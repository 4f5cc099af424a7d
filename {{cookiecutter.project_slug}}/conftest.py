from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django_redis.cache import RedisCache

from apps.users.models import User
from apps.users.tests.factories import UserFactory


def cache_empty() -> None:
    """Forget what the tests cached: on Redis (TEST_REDIS_URL) only the keys under this run's prefix.

    A Redis cache's clear() would flush its whole database, other users' keys included.
    """
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Cached selectors must not leak results from one test into the next.
    cache_empty()
    yield
    cache_empty()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()
