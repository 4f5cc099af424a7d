from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.orders.exports.models import OrderExport


class OrderExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="A signed link to the CSV, valid for a few minutes; null until the export is ready. "
        "Ask for the export again for a fresh link."
    )

    class Meta:
        model = OrderExport
        fields = ["id", "status", "error", "download_url", "created_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: OrderExport) -> str | None:
        if export.status != OrderExport.Status.READY or not export.file:
            return None
        # Signed here, with the storage's credentials: no call to the store, a new expiry on every read.
        return export.file.url
