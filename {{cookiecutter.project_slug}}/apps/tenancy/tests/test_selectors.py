import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from apps.tenancy.selectors import tenant_for_user
from apps.tenancy.tests.factories import MembershipFactory, TenantFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_of_one_tenant_acts_for_it_without_naming_it() -> None:
    membership = MembershipFactory.create()

    assert tenant_for_user(user=membership.user, slug=None) == membership.tenant
    assert tenant_for_user(user=membership.user, slug=membership.tenant.slug) == membership.tenant


def test_a_member_of_several_tenants_must_name_one() -> None:
    acme = MembershipFactory.create()
    globex = MembershipFactory.create(user=acme.user)

    with pytest.raises(PermissionDenied):
        tenant_for_user(user=acme.user, slug=None)
    assert tenant_for_user(user=acme.user, slug=globex.tenant.slug) == globex.tenant


def test_naming_another_tenant_is_answered_like_naming_none_that_exists() -> None:
    member = MembershipFactory.create()
    other = TenantFactory.create()

    with pytest.raises(Http404):
        tenant_for_user(user=member.user, slug=other.slug)
    with pytest.raises(Http404):
        tenant_for_user(user=member.user, slug="no-such-tenant")


def test_a_user_without_membership_has_no_tenant() -> None:
    TenantFactory.create()

    with pytest.raises(PermissionDenied):
        tenant_for_user(user=UserFactory.create(), slug=None)
