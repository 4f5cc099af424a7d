from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.webhooks.models import InboundEvent, WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import inbound_event_rerun

MSG_RERUN = "Events queued again: {count}."
MSG_DONE = "Skipped {count} event(s) already processed or ignored."


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "provider", "type", "status", "attempts", "received_at")
    list_filter = ("status", "provider")
    search_fields = ("event_id", "type")
    # What a provider sent is evidence: it is read here, never edited.
    readonly_fields = (
        "provider",
        "event_id",
        "type",
        "payload",
        "received_at",
        "status",
        "attempts",
        "last_error",
        "processed_at",
    )
    actions = ["rerun"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Re-run the selected failed or waiting events")
    def rerun(self, request: HttpRequest, queryset: QuerySet[InboundEvent]) -> None:
        queued = sum(inbound_event_rerun(event=event) for event in queryset)
        self.message_user(request, MSG_RERUN.format(count=queued), messages.SUCCESS)
        if skipped := queryset.count() - queued:
            self.message_user(request, MSG_DONE.format(count=skipped), messages.WARNING)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "active", "failure_count", "created_at")
    list_filter = ("active",)
    list_select_related = ("owner",)
    search_fields = ("url", "owner__email")
    # The secret is not shown (editable=False keeps it off the form); an endpoint is re-enabled here.
    fields = ("owner", "url", "active", "failure_count")
    readonly_fields = ("owner", "url")
    raw_id_fields = ("owner",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "endpoint", "attempt", "status_code", "created_at")
    list_filter = ("type",)
    list_select_related = ("endpoint",)
    search_fields = ("event_id", "endpoint__url")
    readonly_fields = (
        "endpoint",
        "event_id",
        "type",
        "payload",
        "attempt",
        "status_code",
        "error",
        "created_at",
        "finished_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False
