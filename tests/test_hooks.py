"""The generation hooks: bad answers are refused up front, toggles remove their files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# The reference for PEP 440 (pytest depends on it); the hook cannot use it, as cookiecutter does not.
from packaging.version import InvalidVersion, Version

from tests.harness.template import TEMPLATE_DIR, bake, load_hook

pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")

DEFAULTS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
DEFAULT_ANSWERS = {
    **{key: (value[0] if isinstance(value, list) else value) for key, value in DEFAULTS.items()},
    "project_slug": "my_project",
}

BAD_ANSWERS = [
    ("project_slug", "my-project", pre_gen.MSG_SLUG_FORMAT),
    ("project_slug", "1project", pre_gen.MSG_SLUG_FORMAT),
    ("project_slug", "MyProject", pre_gen.MSG_SLUG_FORMAT),
    ("project_slug", "my project", pre_gen.MSG_SLUG_FORMAT),
    ("project_slug", "", pre_gen.MSG_SLUG_FORMAT),
    ("project_slug", "class", pre_gen.MSG_SLUG_KEYWORD),
    ("project_slug", "match", pre_gen.MSG_SLUG_KEYWORD),
    ("project_slug", "django", pre_gen.MSG_SLUG_SHADOWS),
    ("project_slug", "test", pre_gen.MSG_SLUG_SHADOWS),
    ("project_slug", "celery", pre_gen.MSG_SLUG_SHADOWS),
    ("project_slug", "config", pre_gen.MSG_SLUG_SHADOWS),
    ("project_slug", "json", pre_gen.MSG_SLUG_SHADOWS),
    ("project_slug", "rest_framework", pre_gen.MSG_SLUG_SHADOWS),
    ("project_name", "   ", pre_gen.MSG_NAME_EMPTY),
    ("email", "not-an-email", pre_gen.MSG_EMAIL),
    ("email", "ann@localhost", pre_gen.MSG_EMAIL),
    ("email", "ann@@example.com", pre_gen.MSG_EMAIL),
    ("email", "ann..lee@example.com", pre_gen.MSG_EMAIL),
    ("email", "ann lee@example.com", pre_gen.MSG_EMAIL),
    ("domain_name", "https://example.com", pre_gen.MSG_DOMAIN_SCHEME),
    ("domain_name", "example.com/app", pre_gen.MSG_DOMAIN_SCHEME),
    ("domain_name", "localhost", pre_gen.MSG_DOMAIN),
    ("domain_name", "-bad-.com", pre_gen.MSG_DOMAIN),
    ("domain_name", "exa mple.com", pre_gen.MSG_DOMAIN),
    ("version", "one", pre_gen.MSG_VERSION),
    ("version", "1.0.", pre_gen.MSG_VERSION),
    ("version", "1.0-final", pre_gen.MSG_VERSION),
    ("timezone", "Mars/Olympus_Mons", pre_gen.MSG_TIMEZONE),
    ("timezone", "../etc/passwd", pre_gen.MSG_TIMEZONE),
    ("python_version", "3.9", pre_gen.MSG_PYTHON),
    ("open_source_license", "WTFPL", pre_gen.MSG_LICENSE),
    ("ci_tool", "jenkins", pre_gen.MSG_CI_TOOL),
]

CHOICES = {
    pre_gen.MSG_PYTHON: pre_gen.SUPPORTED_PYTHON_VERSIONS,
    pre_gen.MSG_LICENSE: pre_gen.LICENSES,
    pre_gen.MSG_CI_TOOL: pre_gen.CI_TOOLS,
}


def expected_message(template: str, value: str) -> str:
    return template.format(value=value, choices=", ".join(CHOICES.get(template, ())))


def test_default_answers_are_valid() -> None:
    assert pre_gen.validate(DEFAULT_ANSWERS) == []


def test_every_offered_choice_passes_the_hook() -> None:
    assert set(DEFAULTS["python_version"]) <= set(pre_gen.SUPPORTED_PYTHON_VERSIONS)
    assert set(DEFAULTS["open_source_license"]) == set(pre_gen.LICENSES)
    assert set(DEFAULTS["ci_tool"]) == set(pre_gen.CI_TOOLS)


@pytest.mark.parametrize(
    "value",
    ["my_project", "shop2", "acme_backend", "a"],
)
def test_good_slugs_pass(value: str) -> None:
    assert pre_gen.check_slug(value) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("email", "first.last+tag@mail.example.co.uk"),
        ("domain_name", "api.example.io"),
        ("domain_name", "xn--bcher-kva.example"),
        ("version", "1.0.0rc1"),
        ("version", "2026.11"),
        ("version", "v1"),
        ("version", "1.0-RC1"),
        ("timezone", "Europe/Berlin"),
        ("timezone", "utc"),
        ("timezone", "europe/berlin"),
    ],
)
def test_good_answers_pass(key: str, value: str) -> None:
    assert pre_gen.validate({**DEFAULT_ANSWERS, key: value}) == []


@pytest.mark.parametrize(("key", "value", "template"), BAD_ANSWERS)
def test_bad_answer_is_refused_with_its_message(key: str, value: str, template: str) -> None:
    assert pre_gen.validate({**DEFAULT_ANSWERS, key: value}) == [expected_message(template, value)]


def test_slug_too_long_for_the_test_database_is_refused_with_the_reason() -> None:
    longest = "a" * pre_gen.SLUG_MAX_LENGTH

    assert len(f"test_{longest}") == 63
    assert pre_gen.check_slug(longest) is None
    assert pre_gen.check_slug(longest + "b") == (
        f"project_slug '{longest}b' has 59 characters: use at most 58, so that the test database "
        "test_<slug> fits PostgreSQL's 63-character limit on names."
    )


# Names whose old default slug (lowercase, spaces to underscores) the hook refused.
DEFAULT_SLUGS = [
    ("My Project", "my_project"),
    ("Bob's Shop", "bob_s_shop"),
    ("Shop & Co", "shop_co"),
    ("Acme (EU)", "acme_eu"),
    ("Café", "cafe"),
    ("3D Prints", "project_3d_prints"),
    ("Class", "class_project"),
    ("Django", "django_project"),
    ("JSON", "json_project"),
    ("!!!", "project"),
]


@pytest.mark.parametrize(("name", "slug"), DEFAULT_SLUGS)
def test_default_slug_is_one_the_hook_accepts(name: str, slug: str) -> None:
    assert pre_gen.default_slug(name) == slug
    assert pre_gen.check_slug(slug) is None


@pytest.mark.parametrize("name", ["A" * 100, "Acme " * 20, "2026 " + "Shop " * 19])
def test_default_slug_of_a_long_name_leaves_room_for_the_test_database(name: str) -> None:
    slug = pre_gen.default_slug(name)

    assert pre_gen.check_slug(slug) is None
    assert len(f"test_{slug}") <= 63
    assert not slug.endswith("_")


@pytest.mark.parametrize(
    "value",
    [
        "v1",
        "V1.0",
        "1.0-RC1",
        "1.0.0-alpha.1",
        "1.0beta2",
        "1.0c1",
        "1.0-1",
        "1.0post",
        "1.0.r3",
        "01.002",
        "1.0.dev",
        "1.0-preview-2",
        "0!1.0",
        "2!1.0",
        "1.0+Ubuntu-1",
        "1.0+01.Abc_007",
        " 1.0 ",
        "2026.11",
    ],
)
def test_version_is_normalised_as_pep_440_does(value: str) -> None:
    assert pre_gen.canonical_version(value) == str(Version(value))


@pytest.mark.parametrize("value", ["", "one", "1.0.", "v", "1.0-final", "1..0", "1.0+", "1.0+a..b", "version 1"])
def test_version_pep_440_refuses_stays_refused(value: str) -> None:
    with pytest.raises(InvalidVersion):
        Version(value)
    assert pre_gen.canonical_version(value) is None


@pytest.mark.parametrize(
    ("value", "zone"),
    [("UTC", "UTC"), ("utc", "UTC"), (" Utc ", "UTC"), ("europe/berlin", "Europe/Berlin"), ("etc/gmt+2", "Etc/GMT+2")],
)
def test_timezone_matches_case_insensitively_and_comes_out_as_iana_spells_it(value: str, zone: str) -> None:
    assert pre_gen.canonical_timezone(value) == zone


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [("Berlin", "Europe/Berlin"), ("new york", "America/New_York"), ("Europe/Berln", "Europe/Berlin")],
)
def test_unknown_timezone_is_refused_with_the_zone_it_likely_meant(value: str, suggestion: str) -> None:
    assert pre_gen.check_timezone(value) == pre_gen.MSG_TIMEZONE_SUGGESTION.format(value=value, suggestion=suggestion)


def test_every_bad_answer_is_reported_at_once() -> None:
    answers = {**DEFAULT_ANSWERS, "project_slug": "class", "email": "x", "version": "one"}

    assert pre_gen.validate(answers) == [
        pre_gen.MSG_SLUG_KEYWORD.format(value="class"),
        pre_gen.MSG_EMAIL.format(value="x"),
        pre_gen.MSG_VERSION.format(value="one"),
    ]


def cookiecutter_cli(tmp_path: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(TEMPLATE_DIR), *answers],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("key", "value", "template"),
    [
        ("project_slug", "django", pre_gen.MSG_SLUG_SHADOWS),
        ("project_slug", "my-project", pre_gen.MSG_SLUG_FORMAT),
        ("email", "nobody", pre_gen.MSG_EMAIL),
        ("domain_name", "http://example.com", pre_gen.MSG_DOMAIN_SCHEME),
        ("timezone", "Nowhere/Land", pre_gen.MSG_TIMEZONE),
    ],
)
def test_cli_refuses_bad_answer_and_leaves_nothing_behind(tmp_path: Path, key: str, value: str, template: str) -> None:
    result = cookiecutter_cli(tmp_path, f"{key}={value}")

    assert result.returncode != 0
    assert f"ERROR: {expected_message(template, value)}" in result.stderr.splitlines()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "   "])
def test_cli_refuses_empty_name_with_the_hook_message_first(tmp_path: Path, name: str) -> None:
    # An empty name once gave an empty slug, so the project directory was the output
    # directory itself: cookiecutter stopped on '"." directory already exists' before the hook ran.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(tmp_path),
            str(TEMPLATE_DIR),
            f"project_name={name}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode != 0
    assert result.stdout.splitlines()[0] == f"ERROR: {pre_gen.MSG_NAME_EMPTY}", result.stdout
    assert "already exists" not in result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "slug"), [pair for pair in DEFAULT_SLUGS if pair[0] != "My Project"])
def test_cli_prompts_offer_a_slug_the_hook_accepts(tmp_path: Path, name: str, slug: str) -> None:
    # Answer the name, then take every default, the slug offered included.
    answers = f"{name}\n" + "\n" * len(DEFAULTS)
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "-o", str(tmp_path), str(TEMPLATE_DIR)],
        input=answers,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"({slug})" in result.stdout
    assert [path.name for path in tmp_path.iterdir()] == [slug]


def test_answers_accepted_loosely_are_written_in_their_normal_form(tmp_path: Path) -> None:
    project = bake(tmp_path, {"project_slug": "loose", "timezone": "europe/berlin", "version": "v1.0-RC1"})

    assert (
        'TIME_ZONE = env("DJANGO_TIME_ZONE", default="Europe/Berlin")'
        in (project / "config" / "settings" / "base.py").read_text()
    )
    assert 'version = "1.0rc1"' in (project / "pyproject.toml").read_text()
    assert '"VERSION": "1.0rc1"' in (project / "config" / "settings" / "drf_settings.py").read_text()
    assert 'default="1.0rc1"' in (project / "config" / "settings" / "production.py").read_text()


def test_cli_refuses_unknown_choice_before_writing(tmp_path: Path) -> None:
    result = cookiecutter_cli(tmp_path, "python_version=3.9")

    assert result.returncode != 0
    assert "python_version" in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []


# --- post-generation hook ---------------------------------------------------


def make_tree(root: Path, paths: list[str]) -> None:
    for relative in paths:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(relative)


def test_toggle_off_removes_exactly_its_paths(tmp_path: Path) -> None:
    docker_paths = list(post_gen.TOGGLED_PATHS["use_docker"])
    make_tree(tmp_path, [*docker_paths, "manage.py"])

    removed = post_gen.remove_disabled_features(tmp_path, {"use_docker": False})

    assert sorted(removed) == sorted(docker_paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manage.py"]


def test_toggle_on_keeps_its_paths(tmp_path: Path) -> None:
    docker_paths = list(post_gen.TOGGLED_PATHS["use_docker"])
    make_tree(tmp_path, docker_paths)

    assert post_gen.remove_disabled_features(tmp_path, {"use_docker": True}) == []
    assert all((tmp_path / p).exists() for p in docker_paths)


def test_post_gen_is_idempotent(tmp_path: Path) -> None:
    make_tree(tmp_path, [*post_gen.TOGGLED_PATHS["use_docker"], ".licenses/MIT", ".licenses/BSD-3-Clause"])
    answers = {"use_docker": False, "open_source_license": "MIT"}

    post_gen.remove_disabled_features(tmp_path, answers)
    post_gen.install_license(tmp_path, "MIT")
    first = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert post_gen.remove_disabled_features(tmp_path, answers) == []
    post_gen.install_license(tmp_path, "MIT")

    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == first == ["LICENSE"]
    assert (tmp_path / "LICENSE").read_text() == ".licenses/MIT"


def test_proprietary_project_has_no_license_file(tmp_path: Path) -> None:
    make_tree(tmp_path, [".licenses/MIT"])

    post_gen.install_license(tmp_path, "Proprietary")

    assert list(tmp_path.iterdir()) == []


def test_every_license_choice_has_a_text() -> None:
    texts = {p.name for p in (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / ".licenses").iterdir()}

    assert texts == set(pre_gen.LICENSES) - {"Proprietary"}


def test_paths_needing_several_toggles_go_when_any_is_off(tmp_path: Path) -> None:
    api_paths = list(post_gen.TOGGLED_PATHS[("include_example_app", "use_drf")])
    make_tree(tmp_path, [*api_paths, "apps/orders/models.py"])

    removed = post_gen.remove_disabled_features(tmp_path, {"include_example_app": True, "use_drf": False})

    assert sorted(removed) == sorted(api_paths)
    assert (tmp_path / "apps/orders/models.py").exists()


def test_every_toggled_path_exists_in_the_template() -> None:
    for paths in post_gen.TOGGLED_PATHS.values():
        for relative in paths:
            assert (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / relative).exists(), relative


@pytest.mark.parametrize("celery", [True, False])
def test_variants_keep_the_matching_file_under_the_plain_name(tmp_path: Path, celery: bool) -> None:
    variants = {plain: (when_on, when_off) for plain, (_, when_on, when_off) in post_gen.VARIANTS.items()}
    make_tree(tmp_path, [path for pair in variants.values() for path in pair])

    post_gen.choose_variants(tmp_path, {"use_celery": celery})
    post_gen.choose_variants(tmp_path, {"use_celery": celery})  # cruft runs the hook again

    files = {str(p.relative_to(tmp_path)): p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    assert files == {plain: when_on if celery else when_off for plain, (when_on, when_off) in variants.items()}


def test_every_variant_exists_in_the_template() -> None:
    for _, when_on, when_off in post_gen.VARIANTS.values():
        for relative in (when_on, when_off):
            assert (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / relative).is_file(), relative


@pytest.mark.parametrize(("ci_tool", "kept"), [("github", ".github"), ("gitlab", ".gitlab-ci.yml"), ("none", None)])
def test_only_the_chosen_ci_is_kept(tmp_path: Path, ci_tool: str, kept: str | None) -> None:
    make_tree(tmp_path, [".github/workflows/ci.yml", ".gitlab-ci.yml"])

    post_gen.remove_disabled_features(tmp_path, {"ci_tool": ci_tool})

    assert sorted(p.name for p in tmp_path.iterdir()) == ([kept] if kept else [])
