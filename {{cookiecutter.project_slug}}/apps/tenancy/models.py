"""Tenants (organisations), who belongs to them, and the base of every model a tenant owns."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from apps.core.models import SoftDeleteManager, SoftDeleteQuerySet, TimeStampedModel
from apps.tenancy.context import NoTenantError, current_tenant_id, require_tenant_id


class Tenant(TimeStampedModel):
    name = models.CharField(max_length=200)
    # What clients name in the X-Tenant header.
    slug = models.SlugField(max_length=63, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="tenancy_membership_unique_user_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.tenant_id} ({self.role})"


class TenantManager(models.Manager):
    """The default manager of tenant-owned models: the current tenant's rows, and no query without one."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(tenant_id=require_tenant_id())

    def none(self) -> models.QuerySet[Any]:
        # An empty queryset needs no tenant: views declare `queryset = Model.objects.none()` at import.
        return super().get_queryset().none()


class TenantSoftDeleteManager(SoftDeleteManager):
    """For models that are both tenant-owned and soft-deleted: the current tenant's live rows."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(tenant_id=require_tenant_id())

    def none(self) -> SoftDeleteQuerySet:
        return super().get_queryset().none()


class TenantOwnedModel(models.Model):
    """A row that belongs to one tenant.

    ``objects`` sees the current tenant's rows only and raises NoTenantError when no
    tenant is set; ``unscoped`` skips that filter for migrations, data fixes and
    cross-tenant reports. On PostgreSQL neither can see past the row-level security
    policy every tenant-owned table must have (EnableRowLevelSecurity in its migration;
    a test fails for a table without one).
    """

    # Filled from the current tenant when a row is created, bulk_create included.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", default=current_tenant_id, editable=False
    )

    # Annotated as any manager: a model that is also soft-deleted brings a manager of both kinds.
    objects: ClassVar[models.Manager[Any]] = TenantManager()
    unscoped: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.tenant_id is None:
            raise NoTenantError("A tenant-owned row needs a tenant: save it inside tenant_context(tenant).")
        super().save(*args, **kwargs)
