"""HTTP in, service or selector call, HTTP out. No business rules here."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, cast

from django.core.cache import cache
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from apps.core.mfa import MSG_TOO_MANY_CODES, MfaThrottled
from apps.core.ratelimit import login_attempt, login_succeeded
from apps.users.mfa import mfa_challenge_verify, mfa_disable, mfa_enrol_confirm, mfa_enrol_start
from apps.users.models import User
from apps.users.selectors import user_mfa_enabled, user_profile
from apps.users.serializers import (
    EmailChangeConfirmSerializer,
    EmailChangeSerializer,
    EmailVerifySerializer,
    LoginSerializer,
    MfaChallengeSerializer,
    MfaCodeSerializer,
    MfaEnrolmentSerializer,
    MfaSetupSerializer,
    MfaStatusSerializer,
    MfaVerifySerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RecoveryCodesSerializer,
    SignupSerializer,
    TokenPairSerializer,
    UserSerializer,
    UserUpdateSerializer,
    token_pair,
)
from apps.users.services import (
    user_email_change_confirm,
    user_email_change_request,
    user_email_verify,
    user_password_reset_confirm,
    user_password_reset_request,
    user_signup,
    user_update,
)

# The same answers whether or not the address has an account.
MSG_SIGNUP_ACCEPTED = "Check your inbox: the email we sent has a link that confirms your address."
MSG_RESET_REQUESTED = "If an account uses this address, a link to set a new password is on its way."
MSG_EMAIL_CHANGE_REQUESTED = (
    "Check the new address's inbox: the link we sent there changes your login email once followed."
)
# DRF appends how long to wait.
MSG_ACCOUNT_LOCKED = "Too many failed logins for this account."
DETAIL_RESPONSE = inline_serializer("Detail", {"detail": serializers.CharField()})


@contextmanager
def code_attempts() -> Iterator[None]:
    """Too many codes tried for one account: a 429 with Retry-After, like the throttles'."""
    try:
        yield
    except MfaThrottled as error:
        raise Throttled(wait=error.wait, detail=MSG_TOO_MANY_CODES) from error


class LoginView(TokenObtainPairView):
    """Obtain an access and a refresh token; rate-limited by the "auth" scope and per account.

    An account with two-factor authentication on is answered 202 with a challenge instead:
    auth/mfa/verify/ exchanges it, with a code, for the tokens.
    """

    throttle_scope = "auth"
    serializer_class = LoginSerializer

    @extend_schema(responses={200: TokenPairSerializer, 202: MfaChallengeSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        email = request.data.get(User.USERNAME_FIELD) if hasattr(request.data, "get") else None
        # A missing or malformed email is the serializer's to answer; it counts against no account.
        account = email if isinstance(email, str) else None
        now = time.time()
        if account is not None:
            wait = login_attempt(cache, email=account, now=now)
            if wait is not None:
                raise Throttled(wait, MSG_ACCOUNT_LOCKED)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # raises for a wrong password
        if account is not None:
            login_succeeded(cache, email=account, now=now)
        answer = serializer.validated_data
        return Response(answer, status=status.HTTP_202_ACCEPTED if "challenge" in answer else status.HTTP_200_OK)


class MfaVerifyView(APIView):
    """The login's second step: the challenge from auth/token/ and a code give the tokens.

    The code is one from the authenticator app, or a recovery code (each works once).
    An account may be sent five codes in five minutes; more are answered 429.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "auth"

    @extend_schema(request=MfaVerifySerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = MfaVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with code_attempts():
            user = mfa_challenge_verify(**serializer.validated_data)
        return Response(token_pair(user))


class AnonymousAuthView(APIView):
    """Endpoints for clients without a session: no token is read, and the "auth" rate limit applies."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "auth"

    # A POST validates serializer_class, passes the validated data to service, and answers the
    # same whatever the service found: 202 with detail, or 204 without one. (Said here, not in
    # the docstring: that is every subclass's description in the API schema.)
    serializer_class: type[serializers.Serializer]
    service: Callable[..., object]
    detail: str | None = None

    def post(self, request: Request) -> Response:
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.service(**serializer.validated_data)
        if self.detail is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response({"detail": self.detail}, status=status.HTTP_202_ACCEPTED)


# The request body's schema comes from serializer_class; each view states its answer.
@extend_schema(responses={202: DETAIL_RESPONSE})
class SignupView(AnonymousAuthView):
    serializer_class = SignupSerializer
    service = staticmethod(user_signup)
    detail = MSG_SIGNUP_ACCEPTED


@extend_schema(responses={204: None})
class EmailVerifyView(AnonymousAuthView):
    serializer_class = EmailVerifySerializer
    service = staticmethod(user_email_verify)


@extend_schema(responses={202: DETAIL_RESPONSE})
class PasswordResetRequestView(AnonymousAuthView):
    serializer_class = PasswordResetRequestSerializer
    service = staticmethod(user_password_reset_request)
    detail = MSG_RESET_REQUESTED


@extend_schema(responses={204: None})
class PasswordResetConfirmView(AnonymousAuthView):
    serializer_class = PasswordResetConfirmSerializer
    service = staticmethod(user_password_reset_confirm)


@extend_schema(responses={204: None})
class EmailChangeConfirmView(AnonymousAuthView):
    serializer_class = EmailChangeConfirmSerializer
    service = staticmethod(user_email_change_confirm)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    # The profile goes out as user_profile reads it (the renderer writes times as the
    # serializer field would); UserSerializer documents it.
    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        # IsAuthenticated guarantees a real User here, not AnonymousUser.
        return Response(user_profile(user=cast(User, request.user)))

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request: Request) -> Response:
        user = cast(User, request.user)
        serializer = UserUpdateSerializer(data=request.data, context={"user": user})
        serializer.is_valid(raise_exception=True)
        return Response(user_profile(user=user_update(user=user, **serializer.validated_data)))


class MeEmailView(APIView):
    """Ask to log in with a new email. It checks the password, so the login's rate limit ("auth") applies."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "auth"

    @extend_schema(request=EmailChangeSerializer, responses={202: DETAIL_RESPONSE})
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        serializer = EmailChangeSerializer(data=request.data, context={"user": user})
        serializer.is_valid(raise_exception=True)
        user_email_change_request(user=user, email=serializer.validated_data["email"])
        return Response({"detail": MSG_EMAIL_CHANGE_REQUESTED}, status=status.HTTP_202_ACCEPTED)


class MeMfaView(APIView):
    """Two-factor authentication of the account: whether it is on, and setting it up.

    Setting up takes the current password and answers the new device's secret, once;
    the device counts once users/me/mfa/confirm/ has seen a code from it.
    """

    permission_classes = [IsAuthenticated]
    throttle_scope = "auth"

    @extend_schema(responses={200: MfaStatusSerializer})
    def get(self, request: Request) -> Response:
        return Response({"enabled": user_mfa_enabled(user=cast(User, request.user))})

    @extend_schema(request=MfaSetupSerializer, responses={201: MfaEnrolmentSerializer})
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        MfaSetupSerializer(data=request.data, context={"user": user}).is_valid(raise_exception=True)
        return Response(asdict(mfa_enrol_start(user=user)), status=status.HTTP_201_CREATED)


class MeMfaConfirmView(APIView):
    """Turn two-factor authentication on with a first code from the new device; answers the recovery codes, once."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "auth"

    @extend_schema(request=MfaCodeSerializer, responses={200: RecoveryCodesSerializer})
    def post(self, request: Request) -> Response:
        serializer = MfaCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with code_attempts():
            codes = mfa_enrol_confirm(user=cast(User, request.user), code=serializer.validated_data["code"])
        return Response({"recovery_codes": codes})


class MeMfaDisableView(APIView):
    """Turn two-factor authentication off; it takes a code (or a recovery code), not just a session."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "auth"

    @extend_schema(request=MfaCodeSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = MfaCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with code_attempts():
            mfa_disable(user=cast(User, request.user), code=serializer.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)
