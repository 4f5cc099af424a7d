from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """Installed by the test settings only: concrete models to exercise the abstract bases."""

    name = "apps.core.tests.testapp"
    label = "core_testapp"
