"""Orders belong to a tenant: every test here runs inside one, as a request or a task would."""

from collections.abc import Iterator

import pytest

from apps.tenancy.context import tenant_context
from apps.tenancy.models import Tenant
from apps.tenancy.tests.factories import MembershipFactory, TenantFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory


def is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def tenant(request: pytest.FixtureRequest, db: None) -> Iterator[Tenant]:
    tenant = TenantFactory.create()
    if is_transactional(request):
        # The test commits as it goes and may share its rows with threads: a transaction
        # held open around it would hide them. Such a test enters the tenant itself.
        yield tenant
        return
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def user(tenant: Tenant) -> User:
    """A member of the test's tenant, so that API requests made as them run in it."""
    member = UserFactory.create()
    MembershipFactory.create(user=member, tenant=tenant)
    return member
