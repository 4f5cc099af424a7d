"""HTTP in, service or selector call, HTTP out. No business rules here."""

import time
from collections.abc import Callable
from typing import Any, cast

from django.core.cache import cache
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from apps.core.ratelimit import login_attempt, login_succeeded
from apps.users.models import User
from apps.users.serializers import (
    EmailChangeConfirmSerializer,
    EmailChangeSerializer,
    EmailVerifySerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    SignupSerializer,
    UserSerializer,
    UserUpdateSerializer,
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


class LoginView(TokenObtainPairView):
    """Obtain an access and a refresh token; rate-limited by the "auth" scope and per account."""

    throttle_scope = "auth"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        email = request.data.get(User.USERNAME_FIELD) if hasattr(request.data, "get") else None
        if not isinstance(email, str):  # the serializer answers for a missing or malformed email
            return super().post(request, *args, **kwargs)
        now = time.time()
        wait = login_attempt(cache, email=email, now=now)
        if wait is not None:
            raise exceptions.Throttled(wait, MSG_ACCOUNT_LOCKED)
        response = super().post(request, *args, **kwargs)  # raises for a wrong password
        login_succeeded(cache, email=email, now=now)
        return response


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

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request: Request) -> Response:
        # IsAuthenticated guarantees a real User here, not AnonymousUser.
        user = cast(User, request.user)
        serializer = UserUpdateSerializer(data=request.data, context={"user": user})
        serializer.is_valid(raise_exception=True)
        return Response(UserSerializer(user_update(user=user, **serializer.validated_data)).data)


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
