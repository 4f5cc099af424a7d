from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
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


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    """pytest-django's admin_client, logged in with the second factor the admin asks for (apps/core/admin.py)."""
    device = TOTPDevice.objects.create(user=admin_user, name="authenticator app", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def no_device_backoff(settings) -> None:
    """No wait after a device's failed code (django-otp's 1, 2, 4... seconds): for a wrong code, then a right one."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
{%- if cookiecutter.cloud_storage == "s3" %}


# s3_server, s3_storage...: moto's S3 server on loopback, for the tests that store files.
pytest_plugins = ["apps.core.tests.object_storage"]
{%- endif %}
