from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.api.permissions import IsAdminOrReadOnly, IsOwner, has_group
from apps.users.tests.factories import UserFactory

factory = APIRequestFactory()
VIEW = APIView()


class CustomerOwnedView(APIView):
    owner_field = "customer"


def request_as(user, method: str = "get"):
    request = getattr(factory, method)("/")
    request.user = user
    return request


def test_is_owner_compares_the_owner_id() -> None:
    owner, stranger = UserFactory.build(), UserFactory.build()
    obj = SimpleNamespace(user_id=owner.pk)

    assert IsOwner().has_object_permission(request_as(owner), VIEW, obj)
    assert not IsOwner().has_object_permission(request_as(stranger), VIEW, obj)
    assert not IsOwner().has_object_permission(request_as(AnonymousUser()), VIEW, obj)


def test_is_owner_reads_the_field_named_by_the_view() -> None:
    owner = UserFactory.build()
    obj = SimpleNamespace(customer_id=owner.pk)

    assert IsOwner().has_object_permission(request_as(owner), CustomerOwnedView(), obj)


@pytest.mark.parametrize(
    ("method", "is_staff", "allowed"),
    [("get", False, True), ("head", False, True), ("post", False, False), ("delete", True, True)],
)
def test_admin_or_read_only(method: str, is_staff: bool, allowed: bool) -> None:
    user = UserFactory.build(is_staff=is_staff)

    assert IsAdminOrReadOnly().has_permission(request_as(user, method), VIEW) is allowed


@pytest.mark.django_db
def test_group_role_check() -> None:
    managers = Group.objects.create(name="managers")
    manager, clerk, root = UserFactory.create(), UserFactory.create(), UserFactory.create(is_superuser=True)
    manager.groups.add(managers)
    permission = has_group("managers")()

    assert permission.has_permission(request_as(manager), VIEW)
    assert not permission.has_permission(request_as(clerk), VIEW)
    assert permission.has_permission(request_as(root), VIEW)
    assert not permission.has_permission(request_as(AnonymousUser()), VIEW)
