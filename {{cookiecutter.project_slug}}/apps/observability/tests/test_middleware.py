import logging

import pytest
from django.http import HttpRequest
from django.test import Client

from apps.observability.request_id import current_request_id


def test_a_request_without_an_id_gets_a_fresh_one(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) == 32
    assert first != second


def test_a_valid_incoming_id_is_kept(client: Client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})

    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"


@pytest.mark.parametrize("hostile", ["short", "x" * 129, "abc\ndef12345", "<script>alert(1)</script>", "a b c d e"])
def test_an_invalid_incoming_id_is_replaced(client: Client, hostile: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": hostile})

    assert response["X-Request-ID"] != hostile
    assert len(response["X-Request-ID"]) == 32


def test_log_records_of_the_request_carry_its_id(client: Client, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/no-such-page/", headers={"X-Request-ID": "trace-0123456789"})

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.request_id == "trace-0123456789"


def test_the_id_does_not_outlive_the_request(client: Client) -> None:
    client.get("/healthz", headers={"X-Request-ID": "trace-0123456789"})

    assert current_request_id() is None


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_a_container_address_over_plain_http(db: None, client: Client, settings, path: str) -> None:
    # Given production's host and HTTPS rules
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

    # When an orchestrator probes the container by its address
    response = client.get(path, headers={"Host": "10.0.3.7:8000"})

    # Then the probe is answered, not refused or redirected
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_skip_the_header_middleware_but_keep_their_id(db: None, client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert "X-Request-ID" in response
    # A load balancer's "ok" over plain HTTP, never a page: no redirect to decide, no browser headers to add.
    assert "X-Content-Type-Options" not in response
    assert "Content-Security-Policy" not in response


def test_the_request_id_is_read_without_parsing_every_header(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def every_header(request: HttpRequest) -> None:
        raise AssertionError("request.headers was built")

    monkeypatch.setattr(HttpRequest, "headers", property(every_header))

    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})["X-Request-ID"] == "lb-7f3a9c21-0001"


def test_other_paths_still_refuse_an_unknown_host(client: Client, settings) -> None:
    settings.ALLOWED_HOSTS = ["example.com"]

    assert client.get("/no-such-page/", headers={"Host": "10.0.3.7:8000"}).status_code == 400
