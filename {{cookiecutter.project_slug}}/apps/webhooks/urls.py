from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.webhooks.views import WebhookEndpointViewSet, WebhookReceiveView

router = SimpleRouter()
router.register("webhooks/endpoints", WebhookEndpointViewSet, basename="webhook-endpoints")

urlpatterns = [
    *router.urls,
    # After the router: "endpoints" is not a provider.
    path("webhooks/<slug:provider>/", WebhookReceiveView.as_view(), name="webhooks-receive"),
]
