"""Refuse bad answers before cookiecutter writes a single project file.

Each check is a small function returning an error line or ``None`` so that the
template's tests can call them directly. ``main()`` prints every problem found,
one line each, and exits non-zero; cookiecutter then removes the half-made
project directory.

The answers a check accepts without taking them literally (``utc``, ``v1``) are
turned into what the project gets (``UTC``, ``1``) by the functions here too:
``answer_filters.py`` hands them to Jinja, so the rendered files and this hook
cannot disagree. The hook runs on cookiecutter's interpreter: the standard
library, cookiecutter and its dependencies (python-slugify) are all it may use.
"""

from __future__ import annotations

import difflib
import functools
import json
import keyword
import re
import sys
from zoneinfo import available_timezones

from slugify import slugify

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
# PostgreSQL truncates names past 63 bytes, and the test database is "test_<slug>".
POSTGRES_NAME_LIMIT = 63
SLUG_MAX_LENGTH = POSTGRES_NAME_LIMIT - len("test_")
# What a default slug becomes when the name gives none, or adds to one the checks refuse.
SLUG_FILLER = "project"
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    re.IGNORECASE,
)
EMAIL_LOCAL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
# PEP 440's own pattern (its appendix B), with the spellings it normalises.
VERSION_RE = re.compile(
    r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    """,
    re.VERBOSE | re.IGNORECASE,
)
PRE_RELEASE_SPELLINGS = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}

MSG_SLUG_FORMAT = (
    "project_slug {value!r} is not a valid package name: use lowercase letters, digits "
    "and underscores, starting with a letter (for example 'my_project')."
)
MSG_SLUG_LENGTH = (
    "project_slug {value!r} has {length} characters: use at most {limit}, so that the test database "
    "test_<slug> fits PostgreSQL's {postgres}-character limit on names."
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
MSG_VERSION = "version {value!r} is not a PEP 440 version: use the form 0.1.0 (or 1.0rc1, 2026.11)."
MSG_TIMEZONE = "timezone {value!r} is not an IANA time zone name: use the form 'UTC' or 'Europe/Berlin'."
MSG_TIMEZONE_SUGGESTION = "timezone {value!r} is not an IANA time zone name: did you mean {suggestion!r}?"
MSG_PYTHON = "python_version {value!r} is not supported: choose one of {choices}."
MSG_LICENSE = "open_source_license {value!r} is not offered: choose one of {choices}."
MSG_CI_TOOL = "ci_tool {value!r} is not offered: choose one of {choices}."


def _stdlib_modules() -> frozenset[str]:
    return frozenset(getattr(sys, "stdlib_module_names", ()))


def check_slug(value: str) -> str | None:
    if not SLUG_RE.match(value):
        return MSG_SLUG_FORMAT.format(value=value)
    if len(value) > SLUG_MAX_LENGTH:
        return MSG_SLUG_LENGTH.format(
            value=value, length=len(value), limit=SLUG_MAX_LENGTH, postgres=POSTGRES_NAME_LIMIT
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return MSG_SLUG_KEYWORD.format(value=value)
    if value in RESERVED_SLUGS or value in _stdlib_modules():
        return MSG_SLUG_SHADOWS.format(value=value)
    return None


def default_slug(project_name: str) -> str:
    """The slug offered for a project name: one ``check_slug`` accepts, whatever the name.

    python-slugify (what cookiecutter's ``slugify`` filter runs) transliterates
    ("Café" gives "cafe") and drops punctuation; a name that starts with a digit,
    or gives a keyword or a shadowed module, gets "project" added, and one with
    no letter or digit at all gets "project" alone.
    """
    slug = _slugify(project_name, SLUG_MAX_LENGTH)
    if not slug:
        return SLUG_FILLER
    if slug[0].isdigit():
        slug = f"{SLUG_FILLER}_{_slugify(project_name, SLUG_MAX_LENGTH - len(SLUG_FILLER) - 1)}"
    if check_slug(slug):
        slug = f"{slug}_{SLUG_FILLER}"
    return slug


def _slugify(text: str, max_length: int) -> str:
    return slugify(text, separator="_", max_length=max_length, word_boundary=True)


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


def canonical_version(value: str) -> str | None:
    """``value`` in PEP 440's normal form ("v1" gives "1", "1.0-RC1" gives "1.0rc1"), or None.

    What ``packaging.version.Version`` prints, without ``packaging``: a bare
    cookiecutter install does not have it.
    """
    match = VERSION_RE.fullmatch(value.strip())
    if not match:
        return None
    parts = match.groupdict()
    normal = ".".join(str(int(number)) for number in parts["release"].split("."))
    if parts["epoch"] and int(parts["epoch"]):
        normal = f"{int(parts['epoch'])}!{normal}"
    if parts["pre_l"]:
        label = parts["pre_l"].lower()
        normal += f"{PRE_RELEASE_SPELLINGS.get(label, label)}{int(parts['pre_n'] or 0)}"
    if parts["post_n1"] or parts["post_l"]:
        normal += f".post{int(parts['post_n1'] or parts['post_n2'] or 0)}"
    if parts["dev_l"]:
        normal += f".dev{int(parts['dev_n'] or 0)}"
    if parts["local"]:
        segments = re.split(r"[-_.]", parts["local"].lower())
        normal += "+" + ".".join(str(int(part)) if part.isdigit() else part for part in segments)
    return normal


def check_version(value: str) -> str | None:
    return None if canonical_version(value) else MSG_VERSION.format(value=value)


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in available_timezones()}


def canonical_timezone(value: str) -> str | None:
    """The IANA zone ``value`` names, spelled as the database spells it ("utc" gives "UTC"), or None."""
    return _zones_by_folded_name().get(value.strip().casefold())


def suggest_timezone(value: str) -> str | None:
    """The zone a refused answer most likely meant: "Berlin" or "Europe/Berln" gives "Europe/Berlin"."""
    zones = _zones_by_folded_name()
    folded = value.strip().casefold()
    city = folded.replace(" ", "_")
    by_city = [zone for name, zone in zones.items() if name.rpartition("/")[2] == city]
    if len(by_city) == 1:
        return by_city[0]
    close = difflib.get_close_matches(folded, zones, n=1, cutoff=0.8)
    return zones[close[0]] if close else None


def check_timezone(value: str) -> str | None:
    if canonical_timezone(value):
        return None
    suggestion = suggest_timezone(value)
    if suggestion:
        return MSG_TIMEZONE_SUGGESTION.format(value=value, suggestion=suggestion)
    return MSG_TIMEZONE.format(value=value)


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
