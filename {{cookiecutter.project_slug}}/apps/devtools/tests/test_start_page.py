import re

import pytest
from django.test import Client


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
