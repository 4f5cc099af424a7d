import threading
from collections.abc import Callable

import pytest
from django.db import connection

from apps.tenancy.context import NoTenantError, current_tenant, tenant_bound, tenant_context
from apps.tenancy.tests.factories import TenantFactory
from apps.tenancy.tests.testapp.models import Memo

pytestmark = pytest.mark.django_db


def test_the_default_manager_refuses_to_query_without_a_tenant() -> None:
    with pytest.raises(NoTenantError):
        list(Memo.objects.all())


def test_a_row_cannot_be_saved_without_a_tenant() -> None:
    with pytest.raises(NoTenantError):
        Memo.unscoped.create(text="whose?")


def test_rows_take_the_current_tenant_and_queries_see_only_its_rows() -> None:
    acme, globex = TenantFactory.create_batch(2)
    with tenant_context(acme):
        Memo.objects.create(text="acme's")
        Memo.objects.bulk_create([Memo(text="acme's, in bulk")])
    with tenant_context(globex):
        Memo.objects.create(text="globex's")

        assert [memo.text for memo in Memo.objects.all()] == ["globex's"]
    with tenant_context(acme):
        assert sorted(Memo.objects.values_list("text", flat=True)) == ["acme's", "acme's, in bulk"]
        assert set(Memo.objects.values_list("tenant_id", flat=True)) == {acme.pk}


def test_a_nested_context_restores_the_outer_tenant() -> None:
    acme, globex = TenantFactory.create_batch(2)
    with tenant_context(acme):
        Memo.objects.create(text="acme's")
        with tenant_context(globex):
            assert current_tenant() == globex
            assert not Memo.objects.exists()
        assert current_tenant() == acme
        assert [memo.text for memo in Memo.objects.all()] == ["acme's"]
    assert current_tenant() is None


def test_an_empty_queryset_needs_no_tenant() -> None:
    # What views declare at import time, before any request has a tenant.
    assert list(Memo.objects.none()) == []


def test_a_bound_function_runs_in_the_tenant_in_another_thread() -> None:
    acme = TenantFactory.create()
    seen = []

    def look() -> None:
        seen.append(current_tenant())

    with tenant_context(acme):
        bound = tenant_bound(look)

    def in_thread(func: Callable[[], None]) -> None:
        def run() -> None:
            try:
                func()
            finally:
                connection.close()  # the thread's own connection

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=10)

    in_thread(bound)
    # A thread started without the binding would see no tenant at all.
    in_thread(look)

    assert seen == [acme, None]
