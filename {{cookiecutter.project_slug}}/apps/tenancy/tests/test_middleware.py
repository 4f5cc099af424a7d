import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from apps.tenancy.context import current_tenant
from apps.tenancy.middleware import TenantMiddleware
from apps.tenancy.models import Tenant
from apps.tenancy.tests.factories import MembershipFactory, TenantFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tenant_seen(user: User | AnonymousUser, **headers: str) -> Tenant | None:
    """The tenant the view behind the middleware runs in."""
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_tenant())
        return HttpResponse()

    request = RequestFactory().get("/", headers=headers)
    request.user = user
    TenantMiddleware(view)(request)
    return seen[0]


def test_a_signed_in_member_is_in_their_tenant() -> None:
    membership = MembershipFactory.create()

    assert tenant_seen(membership.user) == membership.tenant


def test_the_header_chooses_among_the_users_tenants() -> None:
    acme = MembershipFactory.create()
    globex = MembershipFactory.create(user=acme.user)

    assert tenant_seen(acme.user, x_tenant=globex.tenant.slug) == globex.tenant
    # Several and no choice: no tenant, so tenant-owned pages are empty, the rest works.
    assert tenant_seen(acme.user) is None


def test_a_header_naming_another_tenant_is_a_404() -> None:
    member = MembershipFactory.create()

    with pytest.raises(Http404):
        tenant_seen(member.user, x_tenant=TenantFactory.create().slug)


def test_the_header_alone_chooses_nothing() -> None:
    tenant = TenantFactory.create()

    assert tenant_seen(AnonymousUser(), x_tenant=tenant.slug) is None
    with pytest.raises(Http404):
        tenant_seen(UserFactory.create(), x_tenant=tenant.slug)
