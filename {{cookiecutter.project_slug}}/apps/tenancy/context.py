"""The current tenant: a context variable for Python, a transaction-local setting for PostgreSQL.

``tenant_context(tenant)`` sets both. The variable scopes the ORM (TenantManager
filters by it); the setting ``app.tenant_id`` is what the row-level security
policies compare each row with (apps/tenancy/operations.py), so SQL that forgets
the filter still sees and writes only this tenant's rows.

The setting is made with ``set_config(..., true)``: local to a transaction, so it
cannot outlive the context on a pooled connection and reach the next request. That
is why the context opens a transaction (a savepoint when one is open already): in
autocommit mode every statement would be a transaction of its own, and a setting
made by one would be gone for the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.db import connection, transaction

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

P = ParamSpec("P")
R = TypeVar("R")

# The name of the PostgreSQL setting the policies read.
TENANT_SETTING = "app.tenant_id"
MSG_NO_TENANT = (
    "No tenant is set: run tenant-owned queries inside tenant_context(tenant) "
    "(requests and tasks do), or use the model's `unscoped` manager on purpose."
)

_current_tenant: ContextVar[Tenant | None] = ContextVar("current_tenant", default=None)


class NoTenantError(RuntimeError):
    """A tenant-scoped query ran with no tenant set: a bug, never an empty result."""


def current_tenant() -> Tenant | None:
    return _current_tenant.get()


def current_tenant_id() -> int | None:
    """The current tenant's key, or None; also the default of every TenantOwnedModel's ``tenant``."""
    tenant = _current_tenant.get()
    return tenant.pk if tenant is not None else None


def require_tenant_id() -> int:
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise NoTenantError(MSG_NO_TENANT)
    return tenant_id


def _set_database_tenant(tenant_id: int | None) -> None:
    if connection.vendor != "postgresql":
        return  # no row-level security elsewhere: the ORM filter is the only guard
    with connection.cursor() as cursor:
        value = "" if tenant_id is None else str(tenant_id)
        cursor.execute("SELECT set_config(%s, %s, true)", [TENANT_SETTING, value])


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block as ``tenant``: the ORM filters by it and PostgreSQL enforces it.

    The block is one transaction (or a savepoint of the caller's), so what it writes
    commits together; the services' own atomic blocks nest inside it as savepoints.
    Leaving the block restores the tenant, in Python and in PostgreSQL, that was current before.
    """
    previous = _current_tenant.get()
    nested = connection.in_atomic_block
    token = _current_tenant.set(tenant)
    try:
        with transaction.atomic():
            _set_database_tenant(tenant.pk)
            yield tenant
            if nested and not connection.needs_rollback:
                # The caller's transaction goes on, and a local setting lasts as long as it does.
                # (A savepoint that is rolled back takes the setting with it.)
                _set_database_tenant(None if previous is None else previous.pk)
    finally:
        _current_tenant.reset(token)


def tenant_bound(func: Callable[P, R], tenant: Tenant | None = None) -> Callable[P, R]:
    """``func`` run inside ``tenant`` (by default the one current now), wherever and whenever it is called.

    For work that leaves the current context or transaction: a thread (which starts
    with no tenant), a task run after the commit that ended the tenant's transaction.
    """
    tenant = tenant or current_tenant()

    @wraps(func)
    def bound(*args: P.args, **kwargs: P.kwargs) -> R:
        if tenant is None:
            return func(*args, **kwargs)
        with tenant_context(tenant):
            return func(*args, **kwargs)

    return bound
