"""Shape the baked project to the answers: drop what a toggle turned off.

Deterministic and idempotent: cruft re-runs it on every update and diffs two
renders, so it writes nothing random (the local secret key is made on first run
by the project itself, into a git-ignored file). No network, no installs.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# One row per toggle: the paths that exist only for that feature. A row keyed by
# several toggles holds paths that need all of them (an API for the example app);
# "name=value" is a condition on a choice.
TOGGLED_PATHS: dict[str | tuple[str, ...], tuple[str, ...]] = {
    "use_celery": (
        "apps/observability/task_metrics.py",
        "apps/observability/tests/test_task_metrics.py",
        "apps/observability/tests/test_task_request_id.py",
        "apps/users/tests/test_tasks.py",
        "config/celery.py",
        "config/settings/celery_settings.py",
        "deploy/grafana/tasks.json",
        "deploy/prometheus/task-alerts.yml",
    ),
    "use_drf": (
        "apps/api",
        "apps/devtools/scaffold/api",
        "apps/devtools/tests/test_startdomain_api.py",
        "apps/users/refresh_tokens.py",
        "apps/users/serializers.py",
        "apps/users/tests/test_api.py",
        "apps/users/tests/test_api_mfa.py",
        "apps/users/tests/test_refresh_tokens.py",
        "apps/users/urls.py",
        "apps/users/views.py",
        "config/api_v1.py",
        "config/settings/drf_settings.py",
    ),
    "include_example_app": ("apps/orders",),
    ("include_example_app", "use_drf"): (
        "apps/orders/serializers.py",
        "apps/orders/tests/test_api.py",
        "apps/orders/urls.py",
        "apps/orders/views.py",
    ),
    ("include_example_app", "use_celery"): ("apps/orders/tests/test_tasks.py",),
    ("include_example_app", "cloud_storage=s3"): ("apps/orders/exports",),
    ("include_example_app", "cloud_storage=s3", "use_drf"): (
        "apps/orders/exports/serializers.py",
        "apps/orders/exports/tests/test_api.py",
        "apps/orders/exports/urls.py",
        "apps/orders/exports/views.py",
    ),
    "cloud_storage=s3": (
        "apps/core/tests/object_storage.py",
        "apps/core/tests/test_storage.py",
        "config/settings/storage_settings.py",
    ),
    # Webhooks are an API feature: without use_drf they are off whatever the answer.
    ("use_webhooks", "use_drf"): (
        "apps/webhooks",
        "config/settings/webhooks_settings.py",
        "docs/webhooks.md",
    ),
    ("use_webhooks", "use_drf", "include_example_app"): ("apps/webhooks/tests/test_orders.py",),
    ("use_webhooks", "use_drf", "use_celery"): ("apps/webhooks/tests/test_tasks.py",),
    "use_tenancy": ("apps/tenancy", "docs/tenancy.md"),
    ("use_tenancy", "use_drf"): (
        "apps/tenancy/api.py",
        "apps/tenancy/scaffold/api",
        "apps/tenancy/tests/test_api.py",
    ),
    ("use_tenancy", "use_celery"): (
        "apps/tenancy/tests/test_tasks.py",
        "apps/tenancy/tests/testapp/tasks.py",
    ),
    ("include_example_app", "use_tenancy"): (
        "apps/orders/tests/conftest.py",
        "apps/orders/tests/test_tenancy.py",
    ),
    ("include_example_app", "use_tenancy", "use_drf"): ("apps/orders/tests/test_tenancy_api.py",),
    ("include_example_app", "use_tenancy", "cloud_storage=s3"): ("apps/orders/exports/tests/conftest.py",),
    "use_sentry": (
        "apps/core/tests/test_sentry.py",
        "config/sentry.py",
    ),
    "ci_tool=github": (".github",),
    "ci_tool=gitlab": (".gitlab-ci.yml", "renovate.json"),
    ("ci_tool=github", "use_docker"): (".github/workflows/image.yml",),
    "use_docker": (
        ".dockerignore",
        "Dockerfile",
        "compose.production.yml",
        "compose.yml",
        "deploy/k8s",
    ),
    ("use_docker", "use_celery"): (
        "deploy/k8s/base/beat.yaml",
        "deploy/k8s/base/worker.yaml",
    ),
}

# Modules written once per value of a toggle: the bake keeps the matching one under the
# plain name, so the code that imports it reads the same either way.
# {plain name: (toggle, the file when it is on, the file when it is off)}
VARIANTS: dict[str, tuple[str, str, str]] = {
    "apps/core/tasks.py": ("use_celery", "apps/core/tasks_celery.py", "apps/core/tasks_inline.py"),
    "apps/core/tests/test_tasks.py": (
        "use_celery",
        "apps/core/tests/test_tasks_celery.py",
        "apps/core/tests/test_tasks_inline.py",
    ),
}

LICENSE_DIR = ".licenses"

# The answers that change which packages a project installs, as conditions like
# TOGGLED_PATHS' keys. scripts/lock.py locks every combination of them for every
# offered Python into LOCKS_DIR; a bake keeps the pair that matches its answers as
# requirements/production.txt and local.txt.
LOCK_TOGGLES = ("use_celery", "use_drf", "use_sentry", "cloud_storage=s3")
LOCKS_DIR = "requirements/locks"
LOCK_FILES = ("production.txt", "local.txt")


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remove_empty_parents(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents below ``root`` while empty: a folder of one feature's files goes with them."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def is_enabled(condition: str, answers: dict[str, object]) -> bool:
    name, equals, value = condition.partition("=")
    return answers.get(name) == value if equals else bool(answers.get(name))


def remove_disabled_features(root: Path, answers: dict[str, object]) -> list[str]:
    """Remove the files of every toggle that is off; return what was removed."""
    removed = []
    for toggles, paths in TOGGLED_PATHS.items():
        conditions = (toggles,) if isinstance(toggles, str) else toggles
        if all(is_enabled(condition, answers) for condition in conditions):
            continue
        for relative in paths:
            target = root / relative
            if target.exists() or target.is_symlink():
                remove_path(target)
                remove_empty_parents(target.parent, root)
                removed.append(relative)
    return removed


def choose_variants(root: Path, answers: dict[str, object]) -> None:
    """Give each module of VARIANTS the version that matches the answers; drop the other."""
    for plain, (condition, when_on, when_off) in VARIANTS.items():
        keep, drop = (when_on, when_off) if is_enabled(condition, answers) else (when_off, when_on)
        if (root / keep).exists():
            (root / keep).replace(root / plain)
        (root / drop).unlink(missing_ok=True)


def install_license(root: Path, license_name: str) -> None:
    """Keep the chosen license as LICENSE; a proprietary project gets none."""
    source = root / LICENSE_DIR / license_name
    target = root / "LICENSE"
    if license_name == "Proprietary":
        target.unlink(missing_ok=True)
    elif source.is_file():
        shutil.copyfile(source, target)
    elif not target.exists():
        raise FileNotFoundError(f"the template has no text for the {license_name} license")
    remove_path(root / LICENSE_DIR)


def lock_feature(condition: str) -> str:
    """A LOCK_TOGGLES condition's part of a lock's name: "celery" for use_celery, "s3" for cloud_storage=s3."""
    name, _, value = condition.partition("=")
    return value or name.removeprefix("use_")


def lock_key(answers: dict[str, object]) -> str:
    """The folder under LOCKS_DIR of a bake's locks, e.g. "python3.12-celery-drf-s3" or "python3.13-none".

    ``answers`` are a bake's answers, or (scripts/lock.py, the tests) each condition of
    LOCK_TOGGLES mapped to whether it holds.
    """
    features = [
        lock_feature(condition)
        for condition in LOCK_TOGGLES
        if (answers[condition] if condition in answers else is_enabled(condition, answers))
    ]
    return "-".join([f"python{answers['python_version']}", *(features or ["none"])])


def install_locks(root: Path, answers: dict[str, object]) -> None:
    """Keep the locks of this bake's dependency set and Python; drop every other one."""
    source = root / LOCKS_DIR / lock_key(answers)
    for name in LOCK_FILES:
        if not (source / name).is_file():
            raise FileNotFoundError(f"the template has no {name} for {source.name} (scripts/lock.py makes it)")
        shutil.copyfile(source / name, root / "requirements" / name)
    remove_path(root / LOCKS_DIR)


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    root = Path.cwd()
    remove_disabled_features(root, answers)
    choose_variants(root, answers)
    install_locks(root, answers)
    install_license(root, str(answers["open_source_license"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
