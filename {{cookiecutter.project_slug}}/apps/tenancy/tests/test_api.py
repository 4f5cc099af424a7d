from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from apps.devtools.tests.test_startdomain import make_project
from apps.tenancy.api import TenantScopedViewMixin
from apps.tenancy.context import current_tenant, tenant_context
from apps.tenancy.models import Tenant
from apps.tenancy.tests.factories import MembershipFactory, TenantFactory
from apps.tenancy.tests.testapp.models import Memo
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class MemoList(TenantScopedViewMixin, APIView):
    def get(self, request: Request) -> Response:
        return Response([memo.text for memo in Memo.objects.all()])


def get_memos(user: User | None, **headers: str) -> Response:
    request = APIRequestFactory().get("/memos/", headers=headers)
    if user is not None:
        force_authenticate(request, user)
    return MemoList.as_view()(request)


@pytest.fixture
def tenants() -> tuple[Tenant, Tenant]:
    acme, globex = TenantFactory.create_batch(2)
    for tenant in (acme, globex):
        with tenant_context(tenant):
            Memo.objects.create(text=tenant.slug)
    return acme, globex


def test_a_member_sees_their_tenants_rows_only(tenants: tuple[Tenant, Tenant]) -> None:
    acme, _ = tenants
    member = MembershipFactory.create(tenant=acme).user

    response = get_memos(member)

    assert response.status_code == 200
    assert response.data == [acme.slug]
    # The tenant was the request's: nothing is left set after it.
    assert current_tenant() is None


def test_naming_a_tenant_of_ones_own_chooses_it(tenants: tuple[Tenant, Tenant]) -> None:
    acme, globex = tenants
    member = MembershipFactory.create(tenant=acme).user
    MembershipFactory.create(user=member, tenant=globex)

    assert get_memos(member, x_tenant=globex.slug).data == [globex.slug]
    assert get_memos(member, x_tenant=acme.slug).data == [acme.slug]
    assert get_memos(member).status_code == 403


def test_naming_another_tenant_is_a_404_problem(tenants: tuple[Tenant, Tenant]) -> None:
    acme, globex = tenants
    member = MembershipFactory.create(tenant=acme).user

    response = get_memos(member, x_tenant=globex.slug)

    assert response.status_code == 404
    assert globex.slug not in str(response.data)


def test_no_membership_is_a_403_and_no_user_a_401(tenants: tuple[Tenant, Tenant]) -> None:
    acme, _ = tenants

    assert get_memos(UserFactory.create()).status_code == 403
    assert get_memos(None, x_tenant=acme.slug).status_code == 401


def test_startdomain_scopes_a_new_apps_views_to_the_tenant(tmp_path: Path, settings) -> None:
    settings.BASE_DIR = make_project(tmp_path, Path(settings.BASE_DIR))

    call_command("startdomain", "line_items")

    views = (tmp_path / "apps" / "line_items" / "views.py").read_text()
    assert "class LineItemViewSet(TenantScopedViewMixin, viewsets.GenericViewSet):" in views


def test_browsers_may_name_the_tenant_from_an_allowed_origin(client, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    preflight = client.options(
        "/api/v1/users/me/",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, x-tenant",
        },
    )

    assert "x-tenant" in preflight["Access-Control-Allow-Headers"]
