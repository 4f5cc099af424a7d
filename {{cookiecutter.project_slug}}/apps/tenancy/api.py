"""Tenant-scoped API views: the tenant is set once DRF knows who the user is."""

from contextlib import ExitStack
from typing import Any, cast

from django.http import HttpResponseBase
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.tenancy.context import tenant_context
from apps.tenancy.selectors import TENANT_HEADER, tenant_for_user
from apps.users.models import User


class TenantScopedViewMixin(APIView):
    """Put first in the bases of every view over tenant-owned data.

    Django middleware runs before DRF authenticates the bearer token, so it cannot know
    the user; ``initial()`` is where DRF has authenticated the request and checked its
    permissions and throttles, and the handler has not run yet. The tenant is the user's
    only one or the one the X-Tenant header names among theirs: a tenant they do not
    belong to is a 404 problem, no membership (or several and no header) a 403.

    The handler then runs inside tenant_context, one transaction per request; errors the
    handler raises are answered inside it and commit what committed before them, exactly
    as in autocommit mode: each service's own atomic block decides what is all-or-nothing.
    """

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with ExitStack() as self.tenant_scope:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # IsAuthenticated (the default permission) has let in a real User only.
        tenant = tenant_for_user(user=cast(User, request.user), slug=request.headers.get(TENANT_HEADER))
        self.tenant_scope.enter_context(tenant_context(tenant))
