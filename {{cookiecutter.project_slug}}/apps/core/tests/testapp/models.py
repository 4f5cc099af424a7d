from django.db import models

from apps.core.models import SoftDeleteModel, TimeStampedModel, UUIDModel


class Note(UUIDModel, TimeStampedModel, SoftDeleteModel):
    text = models.CharField(max_length=100)
