"""The debug toolbar: on local development's pages for this machine, and nowhere else."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

PROJECT = Path(__file__).resolve().parents[3]
TOOLBAR = 'id="djDebugRoot"'
# Every request of argv[1] under the settings of the environment, in one process of its own: the
# test settings of this one cannot become local settings, and one process for all of them keeps
# the suite quick. A request marked "login" comes from a user logged in to the admin, on a
# migrated database. Prints each page's status and text.
SERVE = """
import json, sys
import django
django.setup()
from django.test import Client
requests = json.loads(sys.argv[1])
user = None
if any(login for *_, login in requests):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("developer@example.com")
answers = []
for path, address, accept, login in requests:
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR=address, HTTP_ACCEPT=accept)
    if login:
        client.force_login(user)
    response = client.get(path)
    answers.append([response.status_code, response.getvalue().decode()])
print(json.dumps(answers))
"""
HTML = "text/html"
# name: (path, client address, Accept, logged in to the admin)
REQUESTS = {
    "start": ("/", "127.0.0.1", HTML, False),
    "admin_login": ("/admin/login/", "127.0.0.1", HTML, False),
    "admin_login_ipv6": ("/admin/login/", "::1", HTML, False),
    "toolbar_script": ("/static/debug_toolbar/js/toolbar.js", "", "", False),
    "start_from_elsewhere": ("/", "203.0.113.7", HTML, False),
    "admin_login_from_elsewhere": ("/admin/login/", "192.168.1.20", HTML, False),
{%- if cookiecutter.use_drf %}
    "api_with_session": ("/api/v1/users/me/", "127.0.0.1", HTML, True),
{%- endif %}
}


@pytest.fixture(scope="module")
def local_pages() -> dict[str, tuple[int, str]]:
    """(status, body) of each of REQUESTS, served by config.settings.local."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        # Neither the developer's database nor a key file in the checkout: nothing here touches them.
        "DATABASE_URL": "sqlite://:memory:",
        "DJANGO_SECRET_KEY": "local-settings-under-test-" + "x" * 40,
    }
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", SERVE, json.dumps(list(REQUESTS.values()))],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return {name: (status, body) for name, (status, body) in zip(REQUESTS, json.loads(result.stdout), strict=True)}


def test_local_pages_for_this_machine_carry_the_toolbar(local_pages: dict[str, tuple[int, str]]) -> None:
    answers = [local_pages[name] for name in ("start", "admin_login", "admin_login_ipv6")]

    assert [status for status, _ in answers] == [200, 200, 200]
    assert all(TOOLBAR in body for _, body in answers)
    (_, start_page), (_, admin_login), _ = answers
    assert "debug toolbar" in start_page
    assert "Email address" in admin_login
{%- if cookiecutter.use_drf %}


def test_the_browsable_api_carries_the_toolbar_for_the_admin_session(local_pages: dict[str, tuple[int, str]]) -> None:
    # A browser sends no bearer token: locally, the API also accepts the admin's login session.
    status, page = local_pages["api_with_session"]

    assert status == 200
    assert "developer@example.com" in page
    assert TOOLBAR in page
{%- endif %}


def test_the_toolbar_keeps_to_the_content_security_policy(local_pages: dict[str, tuple[int, str]]) -> None:
    (_, page), (_, script) = local_pages["start"], local_pages["toolbar_script"]
    toolbar = page[page.index(TOOLBAR) :]

    # script-src 'self': an inline script would not run, a script of this origin does.
    assert re.findall(r"<script(?![^>]*\bsrc=)", toolbar) == []
    assert 'src="/static/debug_toolbar/js/toolbar.js"' in toolbar
    assert "djdt" in script


def test_other_addresses_get_no_toolbar(local_pages: dict[str, tuple[int, str]]) -> None:
    answers = [local_pages["start_from_elsewhere"], local_pages["admin_login_from_elsewhere"]]

    assert [status for status, _ in answers] == [200, 200]
    assert all(TOOLBAR not in body for _, body in answers)


@pytest.mark.django_db
@pytest.mark.urls("config.urls_local")
def test_the_tests_never_load_the_toolbar(client: Client) -> None:
    response = client.get("/", REMOTE_ADDR="127.0.0.1")

    assert TOOLBAR not in response.content.decode()
    assert "debug toolbar" not in response.content.decode()
    assert "debug_toolbar" not in settings.INSTALLED_APPS
    assert not any("debug_toolbar" in middleware for middleware in settings.MIDDLEWARE)
    with pytest.raises(NoReverseMatch):
        reverse("djdt:render_panel")
    assert "debug_toolbar" not in sys.modules
