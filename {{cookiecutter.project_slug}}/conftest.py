from collections.abc import Iterator

import pytest
from django.core.cache import cache

from apps.users.models import User
from apps.users.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Cached selectors must not leak results from one test into the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()
