from django.contrib import admin

from apps.orders.exports.models import OrderExport


@admin.register(OrderExport)
class OrderExportAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["owner"]
    # Written by the service only: an edited status could point a "ready" export at no file.
    readonly_fields = ["owner", "status", "file", "error", "finished_at", "created_at", "updated_at"]
    search_fields = ["owner__email"]
