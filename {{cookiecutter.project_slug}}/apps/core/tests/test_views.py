import re

import pytest
from django.test import Client

ICO_MAGIC = b"\x00\x00\x01\x00"


def test_healthz_answers_without_touching_the_database(db: None, client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_the_icon_browsers_ask_for_unprompted_is_served_from_the_site_root(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert response.getvalue().startswith(ICO_MAGIC)


def test_healthz_refuses_writes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_every_response_carries_a_strict_content_security_policy(client: Client) -> None:
    policy = dict(
        directive.strip().split(" ", 1) for directive in client.get("/healthz")["Content-Security-Policy"].split(";")
    )

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


@pytest.mark.django_db
@pytest.mark.urls("config.urls_local")
def test_local_development_opens_on_a_page_of_working_links(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    links = re.findall(r'href="([^"]+)"', response.content.decode())
    assert links == [
        "/admin/",
{%- if cookiecutter.use_drf %}
        "/api/v1/docs/",
{%- endif %}
        "/healthz",
        "/readyz",
    ]
    assert all(client.get(link).status_code in {200, 302} for link in links)


def test_the_start_page_is_for_local_development_only(client: Client) -> None:
    assert client.get("/").status_code == 404
