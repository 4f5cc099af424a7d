"""The benchmark's load, as a test: 16 connections on each endpoint for a few seconds, not one 5xx.

The same `run_load` (wrk) the benchmark uses, against the same kind of served project;
here only correctness is asserted, never a speed.
"""

from __future__ import annotations

import json

import pytest

from tests.load import run_load
from tests.served import PROXY_HEADERS, USER_EMAIL, ServedProject
from tests.verify.conftest import login

CONNECTIONS = 16
SECONDS = 3
ENDPOINTS = ["liveness", "me", "order list", "order detail", "order create"]


@pytest.fixture(scope="module")
def token(served: ServedProject) -> str:
    return login(served, USER_EMAIL)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_load_gets_no_server_error(served: ServedProject, wrk: str, token: str, endpoint: str) -> None:
    # Given one authenticated client's requests, as the proxy forwards them
    headers = {**PROXY_HEADERS, "Authorization": f"Bearer {token}"}
    order = served.request("GET", "/api/v1/orders/", token=token).json()["results"][0]["id"]
    method, path, body = {
        "liveness": ("GET", "/healthz", None),
        "me": ("GET", "/api/v1/users/me/", None),
        "order list": ("GET", "/api/v1/orders/", None),
        "order detail": ("GET", f"/api/v1/orders/{order}/", None),
        "order create": (
            "POST",
            "/api/v1/orders/",
            json.dumps({"items": [{"product_id": served.product_id, "quantity": 1}], "notes": "load"}),
        ),
    }[endpoint]
    if body is not None:
        headers["Content-Type"] = "application/json"

    # When 16 connections send them as fast as the server answers
    result = run_load(
        served.port, path, method=method, headers=headers, body=body, connections=CONNECTIONS, duration=SECONDS
    )

    # Then every answer is a success: no 5xx, no refusal, no dropped connection
    assert result.requests > 0
    assert result.status_counts["5xx"] == 0, result
    assert result.status_counts["socket_errors"] == 0, result
    assert result.status_counts["2xx"] == result.requests, result
