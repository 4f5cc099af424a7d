"""Refresh tokens that are spent once, and end together with their family when one is reused.

SimpleJWT's own refresh checks the blacklist, then writes it, in two steps: requests
that redeem one token at the same moment all pass the check, and each gets a new
token. Here the token's ``OutstandingToken`` row stays locked from the check to the
write, so one redemption wins and the others wait for it, then find the token spent.

Every rotated token names its family: the id (jti) of the refresh token its login
issued. A token presented again after it was rotated means that two parties hold
it, and the server cannot tell the thief from the client: every live token of the
family is blacklisted, so both log in again (refresh token rotation in RFC 9700,
OAuth 2.0 Security Best Current Practice). A token spent less than
``JWT_REFRESH_REUSE_GRACE`` ago is taken for a duplicate of the request that spent
it (a second tab, a retry) and only refused.

These functions are SimpleJWT's machinery, used by the token serializers; the
domain's services know nothing of tokens.
"""

from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

FAMILY_CLAIM = "fam"
# What a successor does not inherit from the token it replaces.
RENEWED_CLAIMS = ("exp", "iat", jwt_settings.JTI_CLAIM)


def _family_of(payload: dict[str, Any]) -> str:
    # A token issued by a login has no family claim: it founds its family, which takes its id.
    return str(payload.get(FAMILY_CLAIM, payload[jwt_settings.JTI_CLAIM]))


class FamilyRefreshToken(RefreshToken):
    """A refresh token that names its family; whether it is spent is left to the functions below.

    Decoding checks the signature, expiry and type, not the blacklist: the refresh must tell
    a reused token, which ends its family, from one a concurrent request has just spent.
    """

    @property
    def family(self) -> str:
        return _family_of(self.payload)

    def check_blacklist(self) -> None:
        # refresh_token_is_reused and refresh_token_rotate read the blacklist instead.
        return None


def refresh_token_is_reused(*, token: FamilyRefreshToken) -> bool:
    """Whether ``token`` was spent (rotated or logged out) before now, longer ago than a duplicate could be."""
    spent_at = (
        BlacklistedToken.objects.filter(token__jti=token[jwt_settings.JTI_CLAIM])
        .values_list("blacklisted_at", flat=True)
        .first()
    )
    return spent_at is not None and spent_at <= timezone.now() - settings.JWT_REFRESH_REUSE_GRACE


def refresh_token_rotate(*, token: FamilyRefreshToken) -> FamilyRefreshToken:
    """Spend ``token`` and return its successor, in one transaction; a spent or unknown token raises TokenError."""
    with transaction.atomic():
        try:
            # Locked until the commit: a concurrent redemption of the same token waits here.
            outstanding = OutstandingToken.objects.select_for_update().get(jti=token[jwt_settings.JTI_CLAIM])
        except OutstandingToken.DoesNotExist:
            raise TokenError(_("Token is invalid")) from None
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            raise TokenError(_("Token is blacklisted"))
        BlacklistedToken.objects.create(token=outstanding)

        successor = FamilyRefreshToken()
        inherited = {claim: value for claim, value in token.payload.items() if claim not in RENEWED_CLAIMS}
        successor.payload.update(inherited | {FAMILY_CLAIM: token.family})
        OutstandingToken.objects.create(
            user_id=outstanding.user_id,
            jti=successor[jwt_settings.JTI_CLAIM],
            token=str(successor),
            created_at=successor.current_time,
            expires_at=datetime_from_epoch(successor["exp"]),
        )
    return successor


def refresh_token_family_revoke(*, token: FamilyRefreshToken) -> int:
    """Blacklist every live refresh token of ``token``'s family; returns how many there were."""
    revoked = 0
    # Until none is left: a redemption that is spending a member meanwhile holds its row
    # locked, so blacklisting that member waits for the redemption's commit, and the next
    # pass finds the successor it made.
    while family := [
        outstanding
        for outstanding in OutstandingToken.objects.filter(
            **{f"user__{jwt_settings.USER_ID_FIELD}": token.get(jwt_settings.USER_ID_CLAIM)},
            expires_at__gt=timezone.now(),
            blacklistedtoken__isnull=True,
        )
        # Stored by this module or by SimpleJWT, both signed with our key: no need to check it again.
        if _family_of(jwt.decode(outstanding.token, options={"verify_signature": False})) == token.family
    ]:
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=member) for member in family], ignore_conflicts=True
        )
        revoked += len(family)
    return revoked
