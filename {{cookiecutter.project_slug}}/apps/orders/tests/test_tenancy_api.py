"""Two tenants with orders: every endpoint answers with the requester's tenant's rows only."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.orders.models import Order, OrderItem
from apps.orders.tests.factories import OrderItemFactory, ProductFactory
from apps.tenancy.context import tenant_context
from apps.tenancy.models import Tenant
from apps.tenancy.tests.factories import MembershipFactory, TenantFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def tenant() -> None:
    """Replaces the autouse tenant of conftest.py: each request finds its tenant itself."""


@pytest.fixture
def shopper() -> User:
    """A member of both tenants: which one a request sees is up to its X-Tenant header."""
    return UserFactory.create()


@pytest.fixture
def orders(shopper: User) -> dict[str, Order]:
    made = {}
    for slug, amount in (("acme", "11.00"), ("globex", "22.00")):
        tenant = TenantFactory.create(slug=slug)
        MembershipFactory.create(user=shopper, tenant=tenant)
        with tenant_context(tenant):
            made[slug] = OrderItemFactory.create(
                order__customer=shopper, order__amount=Decimal(amount), order__status=Order.Status.PAID
            ).order
    return made


def client_in(user: User, tenant_slug: str) -> APIClient:
    client = APIClient(headers={"X-Tenant": tenant_slug})
    client.force_authenticate(user)
    return client


def test_every_endpoint_answers_from_the_named_tenant_only(shopper: User, orders: dict[str, Order]) -> None:
    acme = client_in(shopper, "acme")
    mine, theirs = str(orders["acme"].pk), str(orders["globex"].pk)

    assert [row["id"] for row in acme.get(ORDERS).json()["results"]] == [mine]
    assert acme.get(f"{ORDERS}{mine}/").status_code == 200
    assert acme.get(f"{ORDERS}{theirs}/").status_code == 404
    assert acme.post(f"{ORDERS}{theirs}/cancel/").status_code == 404
    assert acme.get(f"{ORDERS}summary/").json()["paid_revenue"] == "11.00"
    assert [row["revenue"] for row in acme.get(f"{ORDERS}revenue/").json()] == ["11.00"]
    created = acme.post(ORDERS, {"items": [{"product_id": str(ProductFactory.create().pk), "quantity": 1}]})
    assert created.status_code == 201
    with tenant_context(Tenant.objects.get(slug="acme")):
        assert OrderItem.objects.filter(order_id=created.json()["id"]).exists()
    # The same user, naming the other tenant, sees that one's.
    assert [row["id"] for row in client_in(shopper, "globex").get(ORDERS).json()["results"]] == [theirs]


def test_naming_a_tenant_one_does_not_belong_to_is_a_404(orders: dict[str, Order]) -> None:
    outsider = UserFactory.create()
    MembershipFactory.create(user=outsider, tenant=TenantFactory.create())

    response = client_in(outsider, "acme").get(ORDERS)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_member_of_several_must_name_one(shopper: User, orders: dict[str, Order]) -> None:
    client = APIClient()
    client.force_authenticate(shopper)

    assert client.get(ORDERS).status_code == 403


def test_a_tenant_cannot_be_named_in_the_body(shopper: User, orders: dict[str, Order]) -> None:
    globex = Tenant.objects.get(slug="globex")
    body = {"items": [{"product_id": str(ProductFactory.create().pk), "quantity": 1}], "tenant": globex.pk}

    created = client_in(shopper, "acme").post(ORDERS, body)

    assert created.status_code == 201
    with tenant_context(globex):
        assert not Order.objects.filter(pk=created.json()["id"]).exists()
