from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "apps.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from apps.observability.request_id import clear_request_id

        request_finished.connect(clear_request_id, dispatch_uid="apps.observability.clear_request_id")
