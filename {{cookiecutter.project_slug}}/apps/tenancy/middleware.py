"""The tenant of requests made with a session (the admin and other Django views)."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from apps.tenancy.context import tenant_context
from apps.tenancy.selectors import TENANT_HEADER, tenant_for_user


class TenantMiddleware:
    """Runs a signed-in user's request inside their tenant: their only one, or the one X-Tenant names.

    Placed after AuthenticationMiddleware: the tenant comes from the user's memberships,
    and the header only chooses among them (a tenant they are not a member of is a 404).
    A user with no membership, or several and no header, gets no tenant: pages of
    tenant-owned models then show nothing, the rest of the site works as before.

    The API authenticates by bearer token, which Django's middleware never sees: its views
    set the tenant themselves, after DRF's authentication (apps/tenancy/api.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        try:
            tenant = tenant_for_user(user=user, slug=request.headers.get(TENANT_HEADER))
        except PermissionDenied:
            return self.get_response(request)
        with tenant_context(tenant):
            return self.get_response(request)
