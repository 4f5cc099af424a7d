"""Reusable permission classes. Roles are Django groups: no parallel role table to keep in sync."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsOwner(BasePermission):
    """Object level: only the object's owner. Set ``owner_field`` on the view if it is not ``user``."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        owner_field = getattr(view, "owner_field", "user")
        owner_id = getattr(obj, f"{owner_field}_id", None)
        return request.user.is_authenticated and owner_id == request.user.pk


class IsAdminOrReadOnly(BasePermission):
    """Anyone may read; only staff may write."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_staff)


class HasGroup(BasePermission):
    """Base for role checks: subclass and set ``group_name``, or use ``has_group("managers")``."""

    group_name: str = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if request.user.is_superuser:
            return True
        return request.user.groups.filter(name=self.group_name).exists()


def has_group(name: str) -> type[HasGroup]:
    """A permission class for one group: ``permission_classes = [has_group("managers")]``."""
    return type(f"HasGroup_{name}", (HasGroup,), {"group_name": name})
