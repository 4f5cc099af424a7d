"""Named answer sets shared by the snapshot tests, the benchmark and anything else that bakes a "kind" of project.

Each preset is cookiecutter `extra_context`: strings, as a person would type them at
the prompts. Every toggle is spelled out, so a preset keeps its meaning when a
default in cookiecutter.json changes; `project_name` is pinned so renders are stable.
"""

from __future__ import annotations

PROJECT_NAME = "Snapshot Shop"

PRESETS: dict[str, dict[str, str]] = {
    # The smallest project: Django, users, health checks; no API, no example, no extras.
    "minimal": {
        "project_name": PROJECT_NAME,
        "use_drf": "no",
        "include_example_app": "no",
        "use_docker": "no",
        "use_celery": "no",
        "use_sentry": "no",
        "ci_tool": "none",
    },
    # An API service without background work or containers.
    "api": {
        "project_name": PROJECT_NAME,
        "use_drf": "yes",
        "include_example_app": "no",
        "use_docker": "no",
        "use_celery": "no",
        "use_sentry": "no",
        "ci_tool": "github",
    },
    # Everything on (the defaults today).
    "full": {
        "project_name": PROJECT_NAME,
        "use_drf": "yes",
        "include_example_app": "yes",
        "use_docker": "yes",
        "use_celery": "yes",
        "use_sentry": "yes",
        "ci_tool": "github",
    },
}
