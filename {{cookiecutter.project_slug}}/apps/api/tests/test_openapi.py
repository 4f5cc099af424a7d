import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse


def test_schema_is_valid_without_warnings_and_documents_the_error_format(tmp_path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type", "title", "status", "detail", "instance", "code",
    ]  # fmt: skip
    me = schema["paths"]["/api/v1/users/me/"]["get"]
    assert me["security"] == [{"jwtAuth": []}]
    assert "application/problem+json" in me["responses"]["401"]["content"]
    # A database outage is a documented, retryable answer of every operation.
    assert "application/problem+json" in me["responses"]["503"]["content"]


@pytest.mark.django_db
def test_docs_page_is_served_without_a_cdn(client) -> None:
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page
    # Every script is a file from this origin, so the CSP needs no 'unsafe-inline' for scripts.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
