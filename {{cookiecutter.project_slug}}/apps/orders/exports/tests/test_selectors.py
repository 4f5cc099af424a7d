import uuid

import pytest

from apps.orders.exports.selectors import order_export_get
from apps.orders.exports.tests.factories import OrderExportFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_owner_gets_their_export(user: User) -> None:
    export = OrderExportFactory.create(owner=user)

    assert order_export_get(owner=user, export_id=export.pk) == export
    assert order_export_get(owner=user, export_id=str(export.pk)) == export


def test_another_users_export_does_not_exist_for_them(user: User) -> None:
    export = OrderExportFactory.create(owner=UserFactory.create())

    assert order_export_get(owner=user, export_id=export.pk) is None


@pytest.mark.parametrize("export_id", ["not-a-uuid", "", str(uuid.uuid4())])
def test_unknown_and_malformed_ids_are_none(user: User, export_id: str) -> None:
    assert order_export_get(owner=user, export_id=export_id) is None
