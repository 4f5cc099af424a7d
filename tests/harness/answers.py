"""Every answer set the harness bakes, by name: one registry for the tests, the snapshots and the benchmark.

An answer set is cookiecutter `extra_context`: strings, as a person would type them
at the prompts. Who uses which:

- PRESETS: the golden snapshots (tests/test_snapshots.py), the served project of the
  reliability suite and of the benchmark (`full`), the audited requirements (`full`).
  Every toggle is spelled out, so a preset keeps its meaning when a default in
  cookiecutter.json changes; `project_name` is pinned so renders are stable.
- BAKES: the representative bakes that tests/test_bake.py holds to the full bar
  (each toggle both ways, every license and Python, hostile free text); each gives
  only the answers that differ from the defaults.
- COMBINATIONS: every pair of toggle values at least once (tests/test_toggles.py),
  computed from cookiecutter.json so a new toggle joins by itself.
- DOMAIN_BAKES, COMPOSE_BAKES and K8S_BAKES: the bakes `manage.py startdomain`, the
  compose files and the Kubernetes manifests are checked in.

A test that needs one answer for its own purpose (a slug, one `ci_tool`) passes it
inline; a set that more than one place bakes, or that a reader should find by
name, belongs here.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence

from tests.harness.template import TEMPLATE_DIR

Answers = dict[str, str]
Pair = tuple[tuple[str, str], tuple[str, str]]

# --- presets: named kinds of project -----------------------------------------------------

PROJECT_NAME = "Snapshot Shop"

PRESETS: dict[str, Answers] = {
    # The smallest project: Django, users, health checks; no API, no example, no extras.
    "minimal": {
        "project_name": PROJECT_NAME,
        "use_drf": "no",
        "include_example_app": "no",
        "use_tenancy": "no",
        "use_docker": "no",
        "cloud_storage": "none",
        "use_celery": "no",
        "use_webhooks": "no",
        "use_sentry": "no",
        "ci_tool": "none",
    },
    # An API service without background work or containers.
    "api": {
        "project_name": PROJECT_NAME,
        "use_drf": "yes",
        "include_example_app": "no",
        "use_tenancy": "no",
        "use_docker": "no",
        "cloud_storage": "none",
        "use_celery": "no",
        "use_webhooks": "yes",
        "use_sentry": "no",
        "ci_tool": "github",
    },
    # Everything on (the defaults today).
    "full": {
        "project_name": PROJECT_NAME,
        "use_drf": "yes",
        "include_example_app": "yes",
        # Off as by default: tenancy changes what every query of the example app does.
        "use_tenancy": "no",
        "use_docker": "yes",
        "cloud_storage": "s3",
        "use_celery": "yes",
        "use_webhooks": "yes",
        "use_sentry": "yes",
        "ci_tool": "github",
    },
}


# --- the representative bakes -------------------------------------------------------------

# Each entry: an id and the answers that differ from the defaults. The set covers
# every toggle both ways, every license, every Python, and hostile free text.
BAKES: dict[str, Answers] = {
    "default": {},
    # Files on the server's own disk: the example app without its exports.
    "no-docker": {"use_docker": "no", "cloud_storage": "none"},
    "no-celery": {"use_celery": "no"},
    "no-sentry": {"use_sentry": "no", "use_webhooks": "no"},
    # Webhooks stay "yes": without the API they are off all the same.
    "no-drf": {"use_drf": "no"},
    "no-example": {"include_example_app": "no"},
    "gitlab-no-example": {"ci_tool": "gitlab", "include_example_app": "no"},
    "all-off": {
        "use_sentry": "no",
        "use_docker": "no",
        "cloud_storage": "none",
        "use_celery": "no",
        "use_webhooks": "no",
        "use_drf": "no",
        "include_example_app": "no",
        "ci_tool": "none",
    },
    # Tenancy with everything it touches (API, example app, Celery), and with none of them.
    "tenancy": {"project_slug": "tenancy", "use_tenancy": "yes"},
    "tenancy-plain": {"use_tenancy": "yes", "use_drf": "no", "include_example_app": "no", "use_celery": "no"},
    # Run here on the Python running pytest; tests/test_pythons.py runs the bakes of every
    # other offered version on their own interpreters.
    "bsd-python311": {"open_source_license": "BSD-3-Clause", "python_version": "3.11"},
    "apache-python313": {"open_source_license": "Apache-2.0", "python_version": "3.13"},
    # Free text that breaks naive quoting, with the answers no other bake gives: no open-source
    # license (no LICENSE file) and a time zone other than UTC.
    "hostile-text": {
        "project_name": 'O\'Brien "Quotes" \\ Co',
        "project_slug": "obrien",
        "description": "Says \"hi\" \\n and 'bye'; <b>&amp;</b> # not a comment 🚀",
        "author_name": 'Zoë "Z" O\'Neil',
        "open_source_license": "Proprietary",
        "timezone": "Europe/Berlin",
    },
}

# Bakes whose generated suite would only repeat another's: they differ from their partner in
# the license, the declared Python's Dockerfile, CI files and locks, and nothing the suite
# reads (tests/test_bake.py holds them to that), so only the partner's suite runs.
SUITE_TWINS: dict[str, str] = {
    "bsd-python311": "default",
    "apache-python313": "default",
    "gitlab-no-example": "no-example",
}
# Bakes whose whole suite a test of tests/test_bake.py runs on exactly these answers, with more
# around it: `make ci` for the default, a first new field and a developer's .env without the example.
SUITES_RUN_ELSEWHERE: dict[str, str] = {
    "default": "test_make_ci_runs_what_ci_checks_and_passes",
    "no-example": "test_a_new_field_on_user_keeps_the_suite_green_and_the_dot_env_redis_alone",
}
SUITE_BAKES = [name for name in BAKES if name not in SUITE_TWINS and name not in SUITES_RUN_ELSEWHERE]

DOMAIN_BAKES: dict[str, Answers] = {
    "default": {"project_slug": "domains_default"},
    "no-drf-no-example": {"project_slug": "domains_plain", "use_drf": "no", "include_example_app": "no"},
    "tenancy": {"project_slug": "domains_tenancy", "use_tenancy": "yes"},
}

COMPOSE_BAKES: dict[str, Answers] = {
    "celery": {"project_slug": "compose_celery"},
    "no-celery": {"project_slug": "compose_plain", "use_celery": "no", "use_sentry": "no"},
}

# The Kubernetes manifests (tests/test_k8s.py): with Celery's worker and beat and without;
# a slug with underscores, one at the end, for the names Kubernetes allows.
K8S_BAKES: dict[str, Answers] = {
    "celery": {"project_slug": "k8s_celery"},
    "no-celery": {
        "project_slug": "k8s_plain_",
        "use_celery": "no",
        "use_sentry": "no",
        "domain_name": "shop.example.org",
    },
}

# Every kind of generated CI and container file at least once, for tests/test_ci_files.py.
CI_FILE_BAKES: dict[str, Answers] = {
    "github": {},
    "github-plain": {"use_docker": "no", "use_celery": "no", "use_drf": "no", "include_example_app": "no"},
    "gitlab": {"ci_tool": "gitlab"},
    "gitlab-plain": {"ci_tool": "gitlab", "use_docker": "no", "use_celery": "no", "use_drf": "no"},
    "compose-no-celery": {"ci_tool": "none", "use_celery": "no"},
}

# --- the pairwise toggle matrix ------------------------------------------------------------


# The choices that switch features (the others, python_version and the license, do not): each
# lists its feature's values first and "none" last, like a boolean's yes and no.
TOGGLE_CHOICES = ("cloud_storage", "ci_tool")


def toggle_options() -> dict[str, tuple[str, ...]]:
    """Every boolean of cookiecutter.json as yes/no, and the toggle choices' values, in the file's order."""
    defaults = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    options: dict[str, tuple[str, ...]] = {}
    for name, default in defaults.items():
        if isinstance(default, bool):
            options[name] = ("yes", "no")
        elif name in TOGGLE_CHOICES:
            options[name] = tuple(default)
    return options


def pairs_in(combination: Mapping[str, str], names: Sequence[str]) -> set[Pair]:
    return {((a, combination[a]), (b, combination[b])) for a, b in itertools.combinations(names, 2)}


def pairwise(options: Mapping[str, Sequence[str]], seeds: Sequence[Answers]) -> list[Answers]:
    """A covering set grown greedily from the seeds.

    Each step adds the candidate (in itertools.product order) that covers the most
    pairs not yet covered; ties go to the earliest candidate, so the result is
    the same on every run.
    """
    names = list(options)
    wanted = {
        ((a, value_a), (b, value_b))
        for a, b in itertools.combinations(names, 2)
        for value_a in options[a]
        for value_b in options[b]
    }
    candidates = [dict(zip(names, values, strict=True)) for values in itertools.product(*options.values())]
    chosen = [dict(seed) for seed in seeds]
    uncovered = wanted - set().union(*(pairs_in(combination, names) for combination in chosen))
    while uncovered:
        best = max(candidates, key=lambda candidate: len(pairs_in(candidate, names) & uncovered))
        chosen.append(best)
        uncovered -= pairs_in(best, names)
    return chosen


OPTIONS = toggle_options()
ALL_ON = {name: values[0] for name, values in OPTIONS.items()}  # "yes" and each choice's first value
ALL_OFF = {name: values[-1] for name, values in OPTIONS.items()}  # "no" and each choice's "none"
COMBINATIONS = pairwise(OPTIONS, seeds=[ALL_ON, ALL_OFF])


def combination_id(combination: Mapping[str, str]) -> str:
    short = {name: name.removeprefix("use_").removeprefix("include_").removesuffix("_app") for name in combination}
    features = [short[name] for name, value in combination.items() if value == "yes"]
    features += [value for name, value in combination.items() if name in TOGGLE_CHOICES[:-1] and value != "none"]
    return "-".join([combination["ci_tool"], *features] if features else [combination["ci_tool"], "bare"])


# --- what cookiecutter makes of an answer set ----------------------------------------------


def answers_for(extra_context: Mapping[str, str]) -> dict[str, object]:
    """The answers cookiecutter renders with: defaults, first choices, "yes"/"no" as booleans."""
    defaults = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    answers: dict[str, object] = {}
    for name, default in defaults.items():
        if name.startswith("_"):
            continue
        given = extra_context.get(name)
        if isinstance(default, bool):
            answers[name] = default if given is None else given.lower() in {"yes", "y", "true", "1", "on"}
        elif isinstance(default, list):
            answers[name] = default[0] if given is None else given
        else:
            answers[name] = default if given is None else given
    return answers
