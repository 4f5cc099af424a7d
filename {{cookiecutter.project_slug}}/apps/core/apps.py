from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from apps.core.middleware import clear_request_id

        request_finished.connect(clear_request_id, dispatch_uid="apps.core.clear_request_id")
