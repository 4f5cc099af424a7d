"""HTTP in, service or selector call, HTTP out. No business rules here."""

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from apps.users.models import User
from apps.users.serializers import SignupSerializer, UserSerializer, UserUpdateSerializer
from apps.users.services import user_create, user_update


class LoginView(TokenObtainPairView):
    """Obtain an access and a refresh token; rate-limited by the "auth" scope."""

    throttle_scope = "auth"


class SignupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "auth"

    @extend_schema(request=SignupSerializer, responses={201: UserSerializer})
    def post(self, request: Request) -> Response:
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


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
