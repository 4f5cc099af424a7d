"""A task's message carries the tenant it was sent in, and the worker runs it there."""

from unittest import mock

import pytest

from apps.tenancy.context import current_tenant, tenant_context
from apps.tenancy.models import Tenant
from apps.tenancy.tests.factories import TenantFactory
from apps.tenancy.tests.testapp.models import Memo
from apps.tenancy.tests.testapp.tasks import memo_texts_task
from config.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Tenant:
    acme, globex = TenantFactory.create_batch(2)
    for tenant in (acme, globex):
        with tenant_context(tenant):
            Memo.objects.create(text=tenant.slug)
    return acme


def sent_headers() -> dict[str, object] | None:
    """The headers of the message memo_texts_task.delay() publishes, as the broker would get them."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with mock.patch.object(app, "send_task") as send:
            memo_texts_task.delay()
    finally:
        app.conf.task_always_eager = eager
    return send.call_args.kwargs.get("headers")


def test_the_message_names_the_tenant_it_was_sent_in(acme: Tenant) -> None:
    with tenant_context(acme):
        headers = sent_headers()

    assert headers == {"tenant_id": acme.pk}


def test_no_tenant_no_header(acme: Tenant) -> None:
    assert sent_headers() is None


def test_the_worker_runs_the_task_in_the_messages_tenant(acme: Tenant) -> None:
    # A worker's request holds the message's headers as its own keys.
    memo_texts_task.push_request(id="a-delivery", tenant_id=acme.pk)
    try:
        texts = memo_texts_task()
    finally:
        memo_texts_task.pop_request()

    assert texts == [acme.slug]
    assert current_tenant() is None
