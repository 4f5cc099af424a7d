"""Staging: production's settings, so what passes here passes there."""

from .production import *  # noqa: F403
