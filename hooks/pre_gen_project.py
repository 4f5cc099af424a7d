"""Refuse bad answers before cookiecutter writes a single project file.

Each check is a small function returning an error line or ``None`` so that the
template's tests can call them directly. ``main()`` prints every problem found,
one line each, and exits non-zero; cookiecutter then removes the half-made
project directory.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
LICENSES = ("MIT", "BSD-3-Clause", "Apache-2.0", "Proprietary")
CI_TOOLS = ("github", "gitlab", "none")

# Names a project directory must not take: importing them from the project root
# would pick up the project instead of the library, or clash with its layout.
RESERVED_SLUGS = frozenset(
    {
        "apps",
        "argon2",
        "celery",
        "config",
        "conftest",
        "corsheaders",
        "csp",
        "django",
        "django_redis",
        "drf_spectacular",
        "environ",
        "factory",
        "gunicorn",
        "kombu",
        "manage",
        "psycopg",
        "psycopg_pool",
        "pytest",
        "redis",
        "rest_framework",
        "rest_framework_simplejwt",
        "sentry_sdk",
        "site",
        "static",
        "templates",
        "test",
        "tests",
        "whitenoise",
    }
)

SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    re.IGNORECASE,
)
EMAIL_LOCAL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
VERSION_RE = re.compile(r"^\d+(?:\.\d+){0,3}(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?$")

MSG_SLUG_FORMAT = (
    "project_slug {value!r} is not a valid package name: use lowercase letters, digits "
    "and underscores, starting with a letter (for example 'my_project')."
)
MSG_SLUG_KEYWORD = "project_slug {value!r} is a Python keyword: pick another name, for example '{value}_app'."
MSG_SLUG_SHADOWS = (
    "project_slug {value!r} shadows the module of the same name (standard library, Django "
    "or a dependency): pick another name, for example '{value}_project'."
)
MSG_NAME_EMPTY = "project_name is empty: give the project a human-readable name."
MSG_EMAIL = "email {value!r} is not an email address: use the form name@example.com."
MSG_DOMAIN_SCHEME = "domain_name {value!r} must be a bare domain: drop the scheme and path, for example 'example.com'."
MSG_DOMAIN = "domain_name {value!r} is not a domain name: use the form example.com."
MSG_VERSION = "version {value!r} is not a PEP 440 version: use the form 0.1.0."
MSG_TIMEZONE = "timezone {value!r} is not an IANA time zone name: use the form 'UTC' or 'Europe/Berlin'."
MSG_PYTHON = "python_version {value!r} is not supported: choose one of {choices}."
MSG_LICENSE = "open_source_license {value!r} is not offered: choose one of {choices}."
MSG_CI_TOOL = "ci_tool {value!r} is not offered: choose one of {choices}."


def _stdlib_modules() -> frozenset[str]:
    return frozenset(getattr(sys, "stdlib_module_names", ()))


def check_slug(value: str) -> str | None:
    if not SLUG_RE.match(value):
        return MSG_SLUG_FORMAT.format(value=value)
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return MSG_SLUG_KEYWORD.format(value=value)
    if value in RESERVED_SLUGS or value in _stdlib_modules():
        return MSG_SLUG_SHADOWS.format(value=value)
    return None


def check_project_name(value: str) -> str | None:
    return None if value.strip() else MSG_NAME_EMPTY


def check_domain(value: str) -> str | None:
    if "://" in value or "/" in value:
        return MSG_DOMAIN_SCHEME.format(value=value)
    if not DOMAIN_RE.match(value):
        return MSG_DOMAIN.format(value=value)
    return None


def check_email(value: str) -> str | None:
    local, at, domain = value.rpartition("@")
    if not at or not EMAIL_LOCAL_RE.match(local) or not DOMAIN_RE.match(domain):
        return MSG_EMAIL.format(value=value)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return MSG_EMAIL.format(value=value)
    return None


def check_version(value: str) -> str | None:
    return None if VERSION_RE.match(value) else MSG_VERSION.format(value=value)


def check_timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return MSG_TIMEZONE.format(value=value)
    return None


def check_python_version(value: str) -> str | None:
    if value in SUPPORTED_PYTHON_VERSIONS:
        return None
    return MSG_PYTHON.format(value=value, choices=", ".join(SUPPORTED_PYTHON_VERSIONS))


def check_license(value: str) -> str | None:
    if value in LICENSES:
        return None
    return MSG_LICENSE.format(value=value, choices=", ".join(LICENSES))


def check_ci_tool(value: str) -> str | None:
    if value in CI_TOOLS:
        return None
    return MSG_CI_TOOL.format(value=value, choices=", ".join(CI_TOOLS))


CHECKS = (
    ("project_name", check_project_name),
    ("project_slug", check_slug),
    ("email", check_email),
    ("domain_name", check_domain),
    ("version", check_version),
    ("timezone", check_timezone),
    ("python_version", check_python_version),
    ("open_source_license", check_license),
    ("ci_tool", check_ci_tool),
)


def validate(answers: dict[str, object]) -> list[str]:
    """Return one error line per bad answer, in prompt order."""
    errors = []
    for key, check in CHECKS:
        error = check(str(answers.get(key, "")))
        if error:
            errors.append(error)
    return errors


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    errors = validate(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
