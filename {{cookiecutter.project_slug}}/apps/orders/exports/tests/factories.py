import factory

from apps.orders.exports.models import OrderExport
from apps.users.tests.factories import UserFactory


class OrderExportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderExport

    owner = factory.SubFactory(UserFactory)
