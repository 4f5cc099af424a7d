"""Two tenants with orders: the admin, a task and SQL that forgets the filter each see one tenant's."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from apps.orders.models import Order
from apps.orders.services import OrderLine, order_create
from apps.orders.tasks import order_confirmation_send_task
from apps.orders.tests.factories import OrderFactory, ProductFactory
from apps.tenancy.context import tenant_context
from apps.tenancy.models import Tenant
from apps.tenancy.tests.factories import MembershipFactory, TenantFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant() -> None:
    """Replaces the autouse tenant of conftest.py: these tests start in no tenant, as a request does."""


@pytest.fixture
def acme() -> Tenant:
    return TenantFactory.create(slug="acme")


@pytest.fixture
def globex() -> Tenant:
    return TenantFactory.create(slug="globex")


@pytest.fixture
def orders(acme: Tenant, globex: Tenant) -> dict[str, Order]:
    """One order per tenant, told apart by amount."""
    made = {}
    for tenant, amount in ((acme, "11.00"), (globex, "22.00")):
        with tenant_context(tenant):
            made[tenant.slug] = OrderFactory.create(amount=Decimal(amount))
    return made


def test_the_admin_lists_only_the_staff_members_tenant(
    admin_client: Client, admin_user: User, acme: Tenant, orders: dict[str, Order]
) -> None:
    MembershipFactory.create(user=admin_user, tenant=acme)

    listed = admin_client.get(reverse("admin:orders_order_changelist"))
    other = admin_client.get(reverse("admin:orders_order_change", args=[orders["globex"].pk]))

    assert [order.pk for order in listed.context["cl"].result_list] == [orders["acme"].pk]
    assert admin_client.get(reverse("admin:orders_order_change", args=[orders["acme"].pk])).status_code == 200
    # Django's admin answers an object it cannot find with a redirect to its index.
    assert other.status_code == 302


def test_the_admin_shows_no_orders_to_staff_of_no_tenant(admin_client: Client, orders: dict[str, Order]) -> None:
    listed = admin_client.get(reverse("admin:orders_order_changelist"))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == []


def test_a_task_runs_in_the_tenant_that_enqueued_it(
    acme: Tenant, orders: dict[str, Order], django_capture_on_commit_callbacks
) -> None:
    with tenant_context(acme):
        # Another tenant's order does not exist for a task enqueued in acme.
        order_confirmation_send_task.delay(order_id=str(orders["globex"].pk))
        assert mail.outbox == []
        # Enqueued after the commit, once acme's transaction is over: the task still runs in acme.
        with django_capture_on_commit_callbacks(execute=True):
            placed = order_create(customer=orders["acme"].customer, items=[OrderLine(ProductFactory.create().pk, 1)])

    assert len(mail.outbox) == 1
    assert str(placed.pk) in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_on_commit_runs_in_the_tenant_after_its_transaction(acme: Tenant) -> None:
    """The request's transaction, and the database's tenant setting with it, ends before the task runs.

    On PostgreSQL the task would find no order if it ran outside a tenant of its own.
    """
    with tenant_context(acme):
        placed = order_create(customer=UserFactory.create(), items=[OrderLine(ProductFactory.create().pk, 1)])

    assert len(mail.outbox) == 1
    assert str(placed.pk) in mail.outbox[0].body


def test_sql_that_forgets_the_tenant_sees_only_the_current_ones(
    acme: Tenant, globex: Tenant, orders: dict[str, Order]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's: run with DATABASE_URL pointing at PostgreSQL")

    def all_amounts() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT amount FROM orders_order")
            return [str(amount) for (amount,) in cursor.fetchall()]

    with tenant_context(acme):
        assert all_amounts() == ["11.00"]
    with tenant_context(globex):
        assert all_amounts() == ["22.00"]
