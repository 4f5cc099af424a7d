"""Local development's URLs (config.settings.local): the project's, a start page at /, and the debug toolbar's."""

from django.conf import settings
from django.urls import path

from apps.devtools.views import index
from config.urls import *  # noqa: F403 (the error handlers too)
from config.urls import urlpatterns

urlpatterns = [path("", index, name="index"), *urlpatterns]

# Only where local settings installed it: the tests mount these URLs too, and must not load it.
if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
