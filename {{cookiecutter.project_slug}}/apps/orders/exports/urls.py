from rest_framework.routers import SimpleRouter

from apps.orders.exports.views import OrderExportViewSet

router = SimpleRouter()
router.register("order-exports", OrderExportViewSet, basename="order-exports")

urlpatterns = router.urls
