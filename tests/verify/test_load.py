"""The benchmark's load, as a test: 16 connections on each endpoint for a few seconds, not one 5xx.

The same `run_load` (wrk) the benchmark uses, against the same kind of served project;
here only correctness is asserted, never a speed.
"""

from __future__ import annotations

import pytest

from tests.harness.load import run_load
from tests.harness.served import USER_EMAIL, LoadTarget, ServedProject
from tests.verify.conftest import login

CONNECTIONS = 16
SECONDS = 3
ENDPOINTS = ["healthz", "users_me", "order_list", "order_detail", "order_create"]


@pytest.fixture(scope="module")
def targets(served: ServedProject) -> dict[str, LoadTarget]:
    return served.load_targets(login(served, USER_EMAIL))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_load_gets_no_server_error(
    served: ServedProject, wrk: str, targets: dict[str, LoadTarget], endpoint: str
) -> None:
    # Given one authenticated client's requests, as the proxy forwards them
    target = targets[endpoint]

    # When 16 connections send them as fast as the server answers
    result = run_load(
        served.port,
        target.path,
        method=target.method,
        headers=target.headers,
        bodies=target.bodies,
        connections=CONNECTIONS,
        duration=SECONDS,
    )

    # Then every answer is a success: no 5xx, no refusal, no dropped connection
    assert result.requests > 0
    assert result.status_counts["5xx"] == 0, result
    assert result.status_counts["socket_errors"] == 0, result
    assert result.status_counts["2xx"] == result.requests, result
