"""Reads for the users domain: functions that return data and never write."""

import uuid
{%- if cookiecutter.use_drf %}
from typing import Any
{%- endif %}

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.users.models import User

USER_STATS_CACHE_KEY = "users:stats:v1"
USER_STATS_CACHE_TIMEOUT = 10 * 60


def user_list(*, search: str = "", is_active: bool | None = True) -> QuerySet[User]:
    """Users matching ``search`` in email or name; ``is_active=None`` includes inactive ones."""
    queryset = User.objects.all()
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if search:
        queryset = queryset.filter(Q(email__icontains=search) | Q(full_name__icontains=search))
    return queryset.order_by("email")


def user_get(*, user_id: uuid.UUID | str) -> User | None:
    try:
        return User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValidationError):
        return None


{%- if cookiecutter.use_drf %}


def user_profile(*, user: User) -> dict[str, Any]:
    """What users/me/ shows of its user (serializers.UserSerializer documents it), read from the loaded user."""
    return {"id": user.pk, "email": user.email, "full_name": user.full_name, "created_at": user.created_at}
{%- endif %}


def user_can_authenticate(user: User | None) -> bool:
    """Who may obtain and refresh API tokens: active accounts whose address is verified."""
    return user is not None and user.is_active and user.email_verified_at is not None


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=User.objects.normalize_email(email)).first()


def user_stats() -> dict[str, int]:
    """Head counts for dashboards: cached, and cleared by the services that change them.

    A cache outage costs one aggregate query per call, never an error.
    """
    stats = cache.get(USER_STATS_CACHE_KEY)
    if stats is None:
        stats = User.objects.aggregate(
            total=Count("id"),
            active=Count("id", filter=Q(is_active=True)),
            staff=Count("id", filter=Q(is_staff=True)),
        )
        cache.set(USER_STATS_CACHE_KEY, stats, timeout=USER_STATS_CACHE_TIMEOUT)
    return stats


def user_mfa_enabled(*, user: User) -> bool:
    """Whether logging in as ``user`` takes a second factor: a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
