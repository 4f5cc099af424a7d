"""Cache-Control on answers to authenticated API requests."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from apps.api.middleware import PRIVATE_NO_STORE, PrivateAPIResponseMiddleware
from apps.users.models import User


class PrivateView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class CachedView(APIView):
    """A view that knows its answer may be kept."""

    def get(self, request: Request) -> Response:
        response = Response({"ok": True})
        patch_cache_control(response, private=True, max_age=60)
        return response


def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


urlpatterns = [
    path("api/private/", PrivateView.as_view()),
    path("api/public/", PublicView.as_view()),
    path("api/cached/", CachedView.as_view()),
    path("page/", plain_view),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def test_an_authenticated_answer_is_private_and_not_stored(api: APIClient) -> None:
    assert api.get("/api/private/")["Cache-Control"] == PRIVATE_NO_STORE


def test_an_authenticated_error_is_private_and_not_stored(api: APIClient) -> None:
    response = api.post("/api/private/")

    assert response.status_code == 405
    assert response["Cache-Control"] == PRIVATE_NO_STORE


def test_a_view_that_sets_cache_control_keeps_it(api: APIClient) -> None:
    assert api.get("/api/cached/")["Cache-Control"] == "private, max-age=60"


def test_anonymous_answers_are_left_alone(db: None) -> None:
    assert "Cache-Control" not in APIClient().get("/api/public/")
    assert "Cache-Control" not in APIClient().get("/api/private/")  # the 401


def test_a_view_without_authentication_is_left_alone(api: APIClient) -> None:
    assert "Cache-Control" not in api.get("/api/public/")


def test_a_page_outside_drf_does_not_load_the_session() -> None:
    request = APIRequestFactory().get("/page/")
    # What AuthenticationMiddleware puts there: reading it loads the session and adds "Vary: Cookie".
    request.user = SimpleLazyObject(lambda: pytest.fail("the session's user was loaded"))  # type: ignore[assignment]

    response = PrivateAPIResponseMiddleware(plain_view)(request)

    assert "Cache-Control" not in response
