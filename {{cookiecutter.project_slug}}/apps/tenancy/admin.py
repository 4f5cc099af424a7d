from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.tenancy.context import current_tenant
from apps.tenancy.models import Membership, Tenant


class TenantOwnedAdmin(admin.ModelAdmin):
    """The base of the admin of every tenant-owned model: the request's tenant's rows only.

    Superusers too: the row-level security policy would hide other tenants' rows from
    them anyway. With no tenant chosen (see TenantMiddleware) the list is empty.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if current_tenant() is None:
            return self.model.unscoped.none()
        return super().get_queryset(request)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
