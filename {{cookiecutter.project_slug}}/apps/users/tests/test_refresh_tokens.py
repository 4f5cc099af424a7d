from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.users.models import User
from apps.users.refresh_tokens import (
    FAMILY_CLAIM,
    FamilyRefreshToken,
    refresh_token_family_revoke,
    refresh_token_is_reused,
    refresh_token_rotate,
)

pytestmark = pytest.mark.django_db


def decoded(raw: str) -> FamilyRefreshToken:
    # SimpleJWT annotates the argument as a Token; what it takes is the encoded token.
    return FamilyRefreshToken(cast(Any, raw))


def login(user: User) -> FamilyRefreshToken:
    """The refresh token a login issues (SimpleJWT's own), as a refresh request decodes it."""
    return decoded(str(RefreshToken.for_user(user)))


def live(token: FamilyRefreshToken) -> bool:
    return not BlacklistedToken.objects.filter(token__jti=token["jti"]).exists()


def test_a_successor_belongs_to_the_family_of_its_login(user: User) -> None:
    first = login(user)

    second = refresh_token_rotate(token=first)
    third = refresh_token_rotate(token=decoded(str(second)))

    assert second.family == third.family == first["jti"]
    assert len({first["jti"], second["jti"], third["jti"]}) == 3
    assert third["user_id"] == str(user.pk)
    assert FAMILY_CLAIM not in first.payload
    assert OutstandingToken.objects.get(jti=third["jti"]).user == user


def test_a_token_is_spent_once_even_by_redemptions_that_both_found_it_unspent(user: User) -> None:
    # Two requests decoded the same token and both saw it unspent; they then take the lock in turn
    raw = str(login(user))
    first, second = decoded(raw), decoded(raw)
    assert not refresh_token_is_reused(token=first)
    assert not refresh_token_is_reused(token=second)

    successor = refresh_token_rotate(token=first)
    with pytest.raises(TokenError):
        refresh_token_rotate(token=second)

    assert not live(first)
    assert live(successor)
    assert OutstandingToken.objects.count() == 2


def test_a_token_the_database_never_issued_is_refused(user: User) -> None:
    unrecorded = login(user)
    OutstandingToken.objects.filter(jti=unrecorded["jti"]).delete()

    with pytest.raises(TokenError):
        refresh_token_rotate(token=unrecorded)


def test_a_spent_token_counts_as_reused_once_the_grace_is_over(user: User, settings) -> None:
    settings.JWT_REFRESH_REUSE_GRACE = timedelta(seconds=10)
    token = login(user)
    assert not refresh_token_is_reused(token=token)

    refresh_token_rotate(token=token)
    assert not refresh_token_is_reused(token=token)

    BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(seconds=11))
    assert refresh_token_is_reused(token=token)


def test_revoking_a_family_ends_its_live_token_and_no_other_login(user: User) -> None:
    root = login(user)
    latest = refresh_token_rotate(token=refresh_token_rotate(token=root))
    other_login = refresh_token_rotate(token=login(user))

    assert refresh_token_family_revoke(token=root) == 1

    assert not live(latest)
    assert live(other_login)
    assert refresh_token_family_revoke(token=root) == 0
