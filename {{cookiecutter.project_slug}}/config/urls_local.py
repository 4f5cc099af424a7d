"""Local development's URLs (config.settings.local): the project's, and a start page at /."""

from django.urls import path

from apps.devtools.views import index
from config.urls import *  # noqa: F403 (the error handlers too)
from config.urls import urlpatterns

urlpatterns = [path("", index, name="index"), *urlpatterns]
