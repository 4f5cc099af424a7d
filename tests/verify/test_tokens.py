"""The token endpoints against the served project: a refresh token is redeemed once, and verified as the API would.

Eight redemptions of one refresh token are released together, each on its own
connection to gunicorn (two workers of four threads, as many as the requests), with
PostgreSQL behind: exactly one gets a new pair. SimpleJWT alone checks its blacklist
and writes it in two steps, and answered four of eight with a new pair each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.harness.served import PASSWORD, USER_EMAIL, Response, ServedProject
from tests.verify.conftest import assert_problem, flush_cache, serve, user_create

TOKEN = "/api/v1/auth/token/"  # noqa: S105 - a path, not a secret
REFRESH = "/api/v1/auth/token/refresh/"
VERIFY = "/api/v1/auth/token/verify/"
ME = "/api/v1/users/me/"
RACERS = 8
# How long after its rotation a refresh token presented again is a concurrent duplicate,
# only refused, rather than a reuse that ends its family: short here, so the test need not wait long.
REUSE_GRACE_SECONDS = 2


@pytest.fixture(scope="module")
def served(tmp_path_factory, postgres_url: str, redis_server_binary: str) -> Iterator[ServedProject]:
    yield from serve(
        tmp_path_factory.mktemp("served"),
        postgres_url,
        redis_server_binary,
        extra_env={"DJANGO_JWT_REUSE_GRACE_SECONDS": str(REUSE_GRACE_SECONDS)},
    )


def login(served: ServedProject, email: str) -> dict[str, str]:
    flush_cache(served)  # the login's rate limit, ten a minute
    answer = served.request("POST", TOKEN, json_body={"email": email, "password": PASSWORD})
    assert answer.status == 200, answer.body
    return answer.json()


def refresh(served: ServedProject, token: str) -> Response:
    return served.request("POST", REFRESH, json_body={"refresh": token})


def test_of_eight_concurrent_refreshes_one_wins_and_a_later_reuse_ends_the_login(served: ServedProject) -> None:
    # Given eight clients holding the same refresh token
    shared = login(served, USER_EMAIL)["refresh"]
    start = threading.Barrier(RACERS)
    answers: list[Response] = []

    def redeem() -> None:
        start.wait(timeout=30)
        answers.append(refresh(served, shared))

    # When all of them redeem it at once
    threads = [threading.Thread(target=redeem) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then one gets a new pair, the others a 401 problem
    assert sorted(answer.status for answer in answers) == [200] + [401] * (RACERS - 1), [a.body for a in answers]
    [winner] = [answer for answer in answers if answer.status == 200]
    for loser in answers:
        if loser is not winner:
            assert assert_problem(loser, 401)["code"] == "token_not_valid"
    # and the concurrent duplicates ended nothing: the winner's token still refreshes
    renewed = refresh(served, winner.json()["refresh"])
    assert renewed.status == 200, renewed.body

    # When the spent token comes back later, which only a second holder of it would do
    time.sleep(REUSE_GRACE_SECONDS + 0.5)
    reused = refresh(served, shared)

    # Then it is refused as a reuse, and the login's live token is dead too
    assert assert_problem(reused, 401)["code"] == "token_reused"
    assert assert_problem(refresh(served, renewed.json()["refresh"]), 401)["code"] == "token_not_valid"


@pytest.mark.parametrize("change", ["password", "deletion"])
def test_verify_refuses_an_access_token_the_api_refuses(served: ServedProject, change: str) -> None:
    # Given an access token, and then a new password for its account, or the account deleted
    email = f"verify-{change}@example.com"
    user_create(served, email)
    access = login(served, email)["access"]
    served.runner.shell(
        "from apps.users.models import User\n"
        f"user = User.objects.get(email={email!r})\n"
        + ("user.set_password('another-Horse-43')\nuser.save()" if change == "password" else "user.delete()")
    )

    # When it is verified, and used
    verified = served.request("POST", VERIFY, json_body={"token": access})
    used = served.request("GET", ME, token=access)

    # Then the answers are the same 401
    expected = {"password": "password_changed", "deletion": "user_not_found"}[change]
    assert assert_problem(used, 401)["code"] == expected
    assert assert_problem(verified, 401)["code"] == expected
