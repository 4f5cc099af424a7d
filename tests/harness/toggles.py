"""Toggles: which files a bake keeps (the post-generation hook's TOGGLED_PATHS) and which words it must not contain."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.harness.rendered import rendered_text_files
from tests.harness.template import load_hook

post_gen = load_hook("post_gen_project")

# What a toggle that is off must leave no mention of, anywhere in the project; a key is
# a condition like TOGGLED_PATHS' ("name=value" for a choice).
TOGGLE_WORDS = {
    "use_docker": ("docker",),
    "use_celery": ("celery", "flower"),
    "use_drf": ("rest_framework", "simplejwt", "spectacular", "api/v1"),
    "include_example_app": ("orders",),
    "use_sentry": ("sentry",),
    "cloud_storage=s3": ("s3-compatible", "s3_", "boto", "moto", "aws_", "django-storages", "order_export"),
    "use_webhooks": ("webhook",),
    "use_tenancy": ("tenant", "row-level security", "row_level_security"),
}
# Words a toggle's check skips: standardwebhooks is a test dependency of every bake with the API
# (locks are made per use_celery, use_drf and use_sentry), present whether webhooks are on or not.
TOGGLE_WORD_EXCEPTIONS = {"use_webhooks": ("standardwebhooks",)}


# A toggle that only means something with another one on: webhooks are an API feature.
REQUIRES = {"use_webhooks": "use_drf"}


def feature_on(toggle: str, answers: Mapping[str, object]) -> bool:
    """Whether a bake has a feature: its toggle is on, and so is the toggle it needs."""
    needs = [toggle, *([REQUIRES[toggle]] if toggle in REQUIRES else [])]
    return all(post_gen.is_enabled(condition, dict(answers)) for condition in needs)


def row_enabled(row: str | tuple[str, ...], answers: Mapping[str, object]) -> bool:
    """Whether a TOGGLED_PATHS row is kept: every condition of its key holds."""
    conditions = (row,) if isinstance(row, str) else row
    return all(post_gen.is_enabled(condition, dict(answers)) for condition in conditions)


def present_paths(root: Path, row: str | tuple[str, ...]) -> list[str]:
    """The paths of a TOGGLED_PATHS row that exist in the bake, in the row's order."""
    return [path for path in post_gen.TOGGLED_PATHS[row] if (root / path).exists()]


def toggle_mentions(root: Path, toggle: str) -> list[str]:
    """Every rendered file that still names a feature, as "path: word"."""
    mentions = []
    for path in rendered_text_files(root):
        text = path.read_text().lower()
        for exception in TOGGLE_WORD_EXCEPTIONS.get(toggle, ()):
            text = text.replace(exception, "")
        mentions.extend(f"{path.relative_to(root)}: {word}" for word in TOGGLE_WORDS[toggle] if word in text)
    return mentions
