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

# One row per toggle: the paths that exist only for that feature.
TOGGLED_PATHS: dict[str, tuple[str, ...]] = {
    "use_celery": (
        "apps/core/tasks.py",
        "apps/core/tests/test_tasks.py",
        "apps/users/tasks.py",
        "apps/users/tests/test_tasks.py",
        "config/celery.py",
        "config/settings/celery_settings.py",
    ),
    "use_docker": (
        ".dockerignore",
        "Dockerfile",
        "compose.yml",
    ),
}

LICENSE_DIR = ".licenses"


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remove_disabled_features(root: Path, answers: dict[str, object]) -> list[str]:
    """Remove the files of every toggle that is off; return what was removed."""
    removed = []
    for toggle, paths in TOGGLED_PATHS.items():
        if answers.get(toggle):
            continue
        for relative in paths:
            target = root / relative
            if target.exists() or target.is_symlink():
                remove_path(target)
                removed.append(relative)
    return removed


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


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    root = Path.cwd()
    remove_disabled_features(root, answers)
    install_license(root, str(answers["open_source_license"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
