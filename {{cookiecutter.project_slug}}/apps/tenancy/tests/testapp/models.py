from django.db import models

from apps.tenancy.models import TenantOwnedModel


class Memo(TenantOwnedModel):
    text = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]
