from typing import Any, cast

from django.contrib.auth.models import update_last_login
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.users.managers import UserManager
from apps.users.mfa import mfa_challenge_issue
from apps.users.models import User
from apps.users.refresh_tokens import (
    FamilyRefreshToken,
    refresh_token_family_revoke,
    refresh_token_is_reused,
    refresh_token_rotate,
)
from apps.users.selectors import user_get, user_mfa_enabled

MSG_CONFIRM_EMAIL_CHANGE = "Enter your current password to change the email you log in with."
MSG_EMAIL_CHANGE_ELSEWHERE = (
    "The email you log in with changes through users/me/email/, which mails the new address a link to confirm it."
)
MSG_CONFIRM_MFA_SETUP = "Enter your current password to set up two-factor authentication."
MSG_REFRESH_REUSED = (
    "This refresh token was used before, so someone else may hold it: every session of its login has ended."
)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "created_at"]
        read_only_fields = fields


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    full_name = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class EmailVerifySerializer(serializers.Serializer):
    """What the link in the welcome email carries."""

    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    """What the reset link carries (uid, token), and the new password."""

    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


class UserUpdateSerializer(serializers.Serializer):
    """Profile changes by the user themself; ``context["user"]`` is who is asking.

    ``email`` is accepted unchanged, so a client may send back the profile it read;
    a new one needs the confirmation of ``EmailChangeSerializer``'s endpoint.
    """

    email = serializers.EmailField(max_length=254, required=False)
    full_name = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def validate_email(self, email: str) -> str:
        if UserManager.normalize_email(email) != self.context["user"].email:
            raise serializers.ValidationError(MSG_EMAIL_CHANGE_ELSEWHERE)
        return email


class EmailChangeSerializer(serializers.Serializer):
    """A new login email for ``context["user"]``, who proves to be themself with the current password."""

    email = serializers.EmailField(max_length=254)
    # The email is the login: whoever holds a stolen access token must not be able to take the account.
    current_password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_current_password(self, password: str) -> str:
        if not self.context["user"].check_password(password):
            raise serializers.ValidationError(MSG_CONFIRM_EMAIL_CHANGE)
        return password


class EmailChangeConfirmSerializer(serializers.Serializer):
    """What the link mailed to the new address carries."""

    uid = serializers.CharField(max_length=64)
    # Longer than the other links' tokens: this one carries the new address, signed, and a
    # 254-character address with a non-ASCII domain comes to about 2,000 characters.
    token = serializers.CharField(max_length=2048)


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's refresh, each token spent once, refusing what it lets through.

    For an account deleted since login, its own lookup raises DoesNotExist: a 500.
    After a password change it still mints tokens, which are then refused on use
    while the client was told the refresh worked. Both now get its usual 401.
    Concurrent redemptions of one token all succeed there; here one does, and a
    token reused after its rotation ends its family (apps/users/refresh_tokens.py).
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        token = FamilyRefreshToken(attrs["refresh"])
        if refresh_token_is_reused(token=token):
            refresh_token_family_revoke(token=token)
            raise AuthenticationFailed(MSG_REFRESH_REUSED, "token_reused")
        user = user_get(user_id=token.payload.get(jwt_settings.USER_ID_CLAIM, ""))
        if (
            user is None
            or not jwt_settings.USER_AUTHENTICATION_RULE(user)
            or token.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)
        ):
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        successor = refresh_token_rotate(token=token)
        return {"access": str(successor.access_token), "refresh": str(successor)}


class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    """SimpleJWT's verify, passing exactly the tokens that authenticate an API request.

    Its own checks the signature, expiry and blacklist only, and so vouches for the
    access token of a deleted account, or one from before a password change, which
    every endpoint refuses. Here the API's own authentication class judges the token:
    what it refuses (a refresh token included) is the same 401 here.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[Any, Any]:
        # The classes of DEFAULT_AUTHENTICATION_CLASSES, which every API view uses unless it says otherwise.
        authentication = next(auth() for auth in APIView.authentication_classes if issubclass(auth, JWTAuthentication))
        authentication.get_user(authentication.get_validated_token(attrs["token"].encode()))
        return {}


def token_pair(user: User) -> dict[str, str]:
    """A new login's access and refresh tokens, as SimpleJWT's login issues them."""
    refresh = RefreshToken.for_user(user)
    if jwt_settings.UPDATE_LAST_LOGIN:
        update_last_login(User, user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


class LoginSerializer(jwt_serializers.TokenObtainPairSerializer):
    """SimpleJWT's login; an account with two-factor authentication on gets a challenge instead of tokens."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        jwt_serializers.TokenObtainSerializer.validate(self, attrs)  # the password; refuses a wrong one
        user = cast(User, self.user)
        if user_mfa_enabled(user=user):
            return {"mfa_required": True, "challenge": mfa_challenge_issue(user=user)}
        return token_pair(user)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class MfaChallengeSerializer(serializers.Serializer):
    """The password was right; send ``challenge`` with a code to auth/mfa/verify/ within five minutes."""

    mfa_required = serializers.BooleanField()
    challenge = serializers.CharField()


class MfaVerifySerializer(serializers.Serializer):
    challenge = serializers.CharField(max_length=1024)
    code = serializers.CharField(max_length=64, help_text="A code from the authenticator app, or a recovery code.")


class MfaStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


class MfaSetupSerializer(serializers.Serializer):
    """Whoever holds a stolen access token must not be able to lock the owner out with a device of their own."""

    current_password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_current_password(self, password: str) -> str:
        if not self.context["user"].check_password(password):
            raise serializers.ValidationError(MSG_CONFIRM_MFA_SETUP)
        return password


class MfaEnrolmentSerializer(serializers.Serializer):
    """Shown once: the secret, and the otpauth:// URI of it that an authenticator app reads (often as a QR code)."""

    secret = serializers.CharField()
    provisioning_uri = serializers.CharField()


class MfaCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="A code from the authenticator app, or a recovery code.")


class RecoveryCodesSerializer(serializers.Serializer):
    """Shown once; each logs in once in place of a code from the app."""

    recovery_codes = serializers.ListField(child=serializers.CharField())
