"""Integers as the API reads them: JSON numbers, or strings of ASCII digits."""

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient

from apps.api.fields import StrictIntegerField
from apps.users.models import User
from apps.users.tests.factories import UserFactory


class CountSerializer(serializers.Serializer):
    count = StrictIntegerField(min_value=1, max_value=10)


class CountView(GenericAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    serializer_class = CountSerializer

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class EmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["email"]


class UserListView(ListAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    serializer_class = EmailSerializer
    queryset = User.objects.all()


INVALID_INTEGER = "A valid integer is required."  # DRF's own message

urlpatterns = [path("api/count/", CountView.as_view()), path("api/users/", UserListView.as_view())]

pytestmark = pytest.mark.urls(__name__)


@pytest.mark.parametrize("count", [3, "3", "+3", 3.0])
def test_numbers_and_ascii_digits_are_integers(count: object) -> None:
    response = APIClient().post("/api/count/", {"count": count}, format="json")

    assert response.status_code == 200
    assert response.json() == {"count": 3}


# DRF's IntegerField takes the first seven.
NOT_INTEGERS = {
    "arabic-indic": "\u0663",
    "fullwidth": "\uff13",
    "devanagari": "\u0969",
    "underscore": "1_0",
    "space-before": " 3",
    "space-after": "3 ",
    "decimal": "3.0",
    "empty": "",
    "true": True,
    "fraction": 2.5,
}


@pytest.mark.parametrize("count", list(NOT_INTEGERS.values()), ids=list(NOT_INTEGERS))
def test_anything_else_is_a_field_error(count: object) -> None:
    response = APIClient().post("/api/count/", {"count": count}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "count", "message": INVALID_INTEGER, "code": "invalid"}]


def test_it_is_documented_as_an_integer_with_its_bounds() -> None:
    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)

    count = schema["components"]["schemas"]["Count"]["properties"]["count"]
    assert count == {"type": "integer", "minimum": 1, "maximum": 10}


@pytest.mark.django_db
@pytest.mark.parametrize(("page_size", "rows"), [("2", 2), ("\u0662", 3), ("\uff12", 3), ("2_0", 3)])
def test_a_page_size_in_other_digits_is_ignored(page_size: str, rows: int) -> None:
    UserFactory.create_batch(3)

    response = APIClient().get("/api/users/", {"page_size": page_size})

    assert len(response.json()["results"]) == rows
