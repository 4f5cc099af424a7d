"""Reads for order exports: scoped to their owner, like every orders selector."""

import uuid

from django.core.exceptions import ValidationError

from apps.orders.exports.models import OrderExport
from apps.users.models import User


def order_export_get(*, owner: User, export_id: uuid.UUID | str) -> OrderExport | None:
    """The owner's export, or None: another user's export does not exist for them."""
    try:
        return OrderExport.objects.filter(owner=owner, pk=export_id).first()
    except ValidationError:  # not a UUID at all
        return None
