"""Hostile input against the served project: every refusal is a 4xx problem, nothing is ever a 500.

Oversized, malformed and mistyped bodies (a key twice in one object, a number in
digits other than ASCII ones); forged, unsigned and expired tokens; other
people's order and export ids; and SQL/HTML metacharacters, NUL bytes, lone surrogates, very long
and non-ASCII strings in every text field of every write endpoint. Valid text is stored
and echoed back as the same string inside JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import quote

import pytest

from tests.harness.process import PRODUCTION_ENV
from tests.harness.served import (
    OTHER_EMAIL,
    PASSWORD,
    USER_EMAIL,
    WEBHOOK_PROVIDER,
    WEBHOOK_SECRET,
    Response,
    ServedProject,
)
from tests.verify.conftest import assert_problem, flush_cache, login, user_create

SIGNUP = "/api/v1/auth/signup/"
TOKEN = "/api/v1/auth/token/"  # noqa: S105 - a path, not a secret
REFRESH = "/api/v1/auth/token/refresh/"
VERIFY = "/api/v1/auth/token/verify/"
LOGOUT = "/api/v1/auth/logout/"
VERIFY_EMAIL = "/api/v1/auth/verify-email/"
RESET = "/api/v1/auth/password-reset/"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm/"
EMAIL_CHANGE_CONFIRM = "/api/v1/auth/email-change/confirm/"
ME = "/api/v1/users/me/"
ME_EMAIL = "/api/v1/users/me/email/"
MFA_VERIFY = "/api/v1/auth/mfa/verify/"
ME_MFA = "/api/v1/users/me/mfa/"
ME_MFA_CONFIRM = "/api/v1/users/me/mfa/confirm/"
ME_MFA_DISABLE = "/api/v1/users/me/mfa/disable/"
ORDERS = "/api/v1/orders/"
# Takes no body: nothing to add to WRITES.
ORDER_EXPORTS = "/api/v1/order-exports/"
WEBHOOK_ENDPOINTS = "/api/v1/webhooks/endpoints/"
# A provider's receiving URL: every body sent to it here is signed (see send), so it is judged on its content.
WEBHOOK = f"/api/v1/webhooks/{WEBHOOK_PROVIDER}/"
# Paths as the schema writes them, where they hold a parameter.
SCHEMA_PATHS = {WEBHOOK: "/api/v1/webhooks/{provider}/"}
# Over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
OVERSIZED = 3 * 1024 * 1024

HOSTILE_TEXT = {
    "sql": "' OR 1=1 --",
    "sql-drop": '"; DROP TABLE users_user; --',
    "html": "<script>alert(1)</script>",
    "nul": "before\x00after",
    "surrogate": "lone \ud800 surrogate",
    "long": "x" * 20_000,
    "unicode": "Zoë 🚀 日本語 \u202egnp.exe \u200b",
}
# Text no field may store: PostgreSQL refuses NUL, UTF-8 cannot encode a lone surrogate.
NEVER_VALID = {"nul", "surrogate", "long"}


@pytest.fixture(scope="module")
def tokens(served: ServedProject) -> dict[str, str]:
    user_create(served, "patcher@example.com")
    return {email: login(served, email) for email in (USER_EMAIL, OTHER_EMAIL, "patcher@example.com")}


@pytest.fixture(scope="module")
def refresh_token(served: ServedProject) -> str:
    flush_cache(served)
    answer = served.request("POST", TOKEN, json_body={"email": OTHER_EMAIL, "password": PASSWORD})
    assert answer.status == 200, answer.body
    return answer.json()["refresh"]


def webhook_signed(body: bytes, headers: dict[str, str] | None) -> dict[str, str]:
    """Standard Webhooks headers for ``body``, as the configured provider would sign it (a new id each time)."""
    message_id, timestamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    key = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    signature = f"v1,{base64.b64encode(digest).decode()}"
    return {
        **(headers or {}),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def send(served: ServedProject, method: str, path: str, **kwargs) -> Response:
    # Sign-up and the token endpoints share a throttle of ten a minute: reset it so the input is judged.
    flush_cache(served)
    if path == WEBHOOK and kwargs.get("body") is not None:
        body = kwargs["body"].encode() if isinstance(kwargs["body"], str) else kwargs["body"]
        kwargs = {**kwargs, "body": body, "headers": webhook_signed(body, kwargs.get("headers"))}
    return served.request(method, path, **kwargs)


def valid_body(served: ServedProject, path: str, refresh: str) -> dict:
    """A body each write endpoint accepts, for one field at a time to be replaced."""
    return {
        SIGNUP: {"email": f"new-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD, "full_name": "Ann"},
        TOKEN: {"email": USER_EMAIL, "password": PASSWORD},
        REFRESH: {"refresh": refresh},
        VERIFY: {"token": refresh},
        LOGOUT: {"refresh": refresh},
        VERIFY_EMAIL: {"uid": "bm9ib2R5", "token": "cz9ktb-0123456789abcdef"},
        RESET: {"email": USER_EMAIL},
        # Well-formed, but no link was sent for it: the answer is a 400 on the token.
        RESET_CONFIRM: {"uid": "bm9ib2R5", "token": "cz9ktb-0123456789abcdef", "password": "a-New-password-43"},
        # Unsigned: the answer is a 400 on the token.
        EMAIL_CHANGE_CONFIRM: {"uid": "bm9ib2R5", "token": "Im5ld0BleGFtcGxlLmNvbSI:1vPqRs:0123456789abcdef"},
        ME: {"full_name": "Ann"},
        # Answered 202; the link goes to an address nobody reads, and the account keeps its email.
        ME_EMAIL: {"email": f"moved-{uuid.uuid4().hex[:8]}@example.com", "current_password": PASSWORD},
        ORDERS: {"items": [{"product_id": served.product_id, "quantity": 1}], "notes": "ring twice"},
        # Signed by nobody: a 400 on the challenge.
        MFA_VERIFY: {"challenge": "eyJ1c2VyIjoibm9ib2R5In0:1vPqRs:0123456789abcdef", "code": "123456"},
        # Answered 201: a new, unconfirmed device each time, which replaces the one before.
        ME_MFA: {"current_password": PASSWORD},
        # Not the device's code (nor, with two-factor authentication off, a code to turn it off with): a 400.
        ME_MFA_CONFIRM: {"code": "000000"},
        ME_MFA_DISABLE: {"code": "000000"},
        # Answered 201 with the endpoint's secret; nothing is ever sent to it here.
        WEBHOOK_ENDPOINTS: {"url": "https://hooks.example.com/receive"},
        # Answered 202: stored, its handling queued (no handler: it is marked ignored).
        WEBHOOK: {"type": "test.event", "data": {"n": 1}},
    }[path]


WRITES = [
    ("POST", SIGNUP),
    ("POST", TOKEN),
    ("POST", REFRESH),
    ("POST", VERIFY),
    ("POST", LOGOUT),
    ("POST", VERIFY_EMAIL),
    ("POST", RESET),
    ("POST", RESET_CONFIRM),
    ("POST", EMAIL_CHANGE_CONFIRM),
    ("PATCH", ME),
    ("POST", ME_EMAIL),
    ("POST", MFA_VERIFY),
    ("POST", ME_MFA),
    ("POST", ME_MFA_CONFIRM),
    ("POST", ME_MFA_DISABLE),
    ("POST", ORDERS),
    ("POST", WEBHOOK_ENDPOINTS),
    ("POST", WEBHOOK),
]
# Every text field of every write endpoint; items.0.product_id is text on the wire too.
TEXT_FIELDS = [
    ("POST", SIGNUP, "email"),
    ("POST", SIGNUP, "full_name"),
    ("POST", SIGNUP, "password"),
    ("POST", TOKEN, "email"),
    ("POST", TOKEN, "password"),
    ("POST", REFRESH, "refresh"),
    ("POST", VERIFY, "token"),
    ("POST", LOGOUT, "refresh"),
    ("POST", VERIFY_EMAIL, "uid"),
    ("POST", VERIFY_EMAIL, "token"),
    ("POST", RESET, "email"),
    ("POST", RESET_CONFIRM, "uid"),
    ("POST", RESET_CONFIRM, "token"),
    ("POST", RESET_CONFIRM, "password"),
    ("POST", EMAIL_CHANGE_CONFIRM, "uid"),
    ("POST", EMAIL_CHANGE_CONFIRM, "token"),
    ("PATCH", ME, "email"),
    ("PATCH", ME, "full_name"),
    ("POST", ME_EMAIL, "email"),
    ("POST", ME_EMAIL, "current_password"),
    ("POST", MFA_VERIFY, "challenge"),
    ("POST", MFA_VERIFY, "code"),
    ("POST", ME_MFA, "current_password"),
    ("POST", ME_MFA_CONFIRM, "code"),
    ("POST", ME_MFA_DISABLE, "code"),
    ("POST", ORDERS, "notes"),
    ("POST", ORDERS, "items.0.product_id"),
    ("POST", WEBHOOK_ENDPOINTS, "url"),
    ("POST", WEBHOOK, "type"),
]
# The endpoints that take a token: the patcher's.
AUTHENTICATED = {ME, ME_EMAIL, ME_MFA, ME_MFA_CONFIRM, ME_MFA_DISABLE, ORDERS, WEBHOOK_ENDPOINTS}
# Free text that is returned in the response, and where to read it back from.
ECHOED = {(ME, "full_name"), (ORDERS, "notes")}
# Free text stored without being returned (sign-up answers only "check your inbox").
STORED = {(SIGNUP, "full_name")}


def token_for(method: str, path: str, tokens: dict[str, str]) -> str | None:
    return tokens["patcher@example.com"] if path in AUTHENTICATED else None


def test_every_operation_with_a_body_is_attacked(served: ServedProject) -> None:
    # A new endpoint joins WRITES (and its text fields TEXT_FIELDS), or this fails.
    schema = json.loads(served.request("GET", "/api/v1/schema/?format=json").body)
    with_body = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }

    assert with_body == {(method, SCHEMA_PATHS.get(path, path)) for method, path in WRITES}


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[path for _, path in WRITES])
def test_oversized_body_is_a_413_problem(served: ServedProject, tokens, method: str, path: str) -> None:
    body = json.dumps({"padding": "x" * OVERSIZED})

    answer = send(
        served,
        method,
        path,
        token=token_for(method, path, tokens),
        body=body,
        headers={"Content-Type": "application/json"},
    )

    assert_problem(answer, 413)


# Cut short; and nested deeper than Python's recursive decoder goes (100 kB, under the size limit).
MALFORMED_JSON = {"truncated": '{"email": "a@example.com",', "nested-too-deep": "[" * 100_000}


@pytest.mark.parametrize("body", list(MALFORMED_JSON.values()), ids=list(MALFORMED_JSON))
@pytest.mark.parametrize(("method", "path"), WRITES, ids=[path for _, path in WRITES])
def test_malformed_json_is_a_400_problem(served: ServedProject, tokens, method: str, path: str, body: str) -> None:
    answer = send(
        served,
        method,
        path,
        token=token_for(method, path, tokens),
        body=body,
        headers={"Content-Type": "application/json"},
    )

    assert assert_problem(answer, 400)["code"] == "parse_error"


# What the project answers to an object with a key twice (apps/api/parsers.py).
DUPLICATE_KEY_DETAIL = "JSON parse error - an object has the same key more than once."


def with_first_key_twice(body: dict) -> str:
    """``body`` as JSON text whose first key comes twice, with the same value: what the last one says is valid."""
    key, value = next(iter(body.items()))
    return f"{{{json.dumps(key)}: {json.dumps(value)}, {json.dumps(body)[1:]}"


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[path for _, path in WRITES])
def test_a_key_twice_is_a_400_problem(served: ServedProject, tokens, patcher_refresh, method: str, path: str) -> None:
    # A proxy that reads the first value and an API that reads the last would see two requests.
    body = with_first_key_twice(valid_body(served, path, patcher_refresh))

    answer = send(
        served,
        method,
        path,
        token=token_for(method, path, tokens),
        body=body,
        headers={"Content-Type": "application/json"},
    )

    problem = assert_problem(answer, 400)
    assert (problem["code"], problem["detail"]) == ("parse_error", DUPLICATE_KEY_DETAIL)


def test_a_key_twice_in_a_nested_object_is_a_400_problem(served: ServedProject, tokens) -> None:
    body = valid_body(served, ORDERS, "")
    line = body["items"][0]
    text = json.dumps(body).replace(json.dumps(line), with_first_key_twice(line))

    answer = send(
        served,
        "POST",
        ORDERS,
        token=token_for("POST", ORDERS, tokens),
        body=text,
        headers={"Content-Type": "application/json"},
    )

    problem = assert_problem(answer, 400)
    assert (problem["code"], problem["detail"]) == ("parse_error", DUPLICATE_KEY_DETAIL)


# int() reads each as a number; a proxy, a log reader or the client's own checks would not.
OTHER_DIGITS = {"arabic-indic": "\u0663", "fullwidth": "\uff11", "devanagari": "\u0967"}


@pytest.mark.parametrize("quantity", list(OTHER_DIGITS.values()), ids=list(OTHER_DIGITS))
def test_a_quantity_in_other_digits_is_a_400_problem(served: ServedProject, tokens, quantity: str) -> None:
    body = valid_body(served, ORDERS, "")
    body["items"][0]["quantity"] = quantity

    answer = send(served, "POST", ORDERS, token=token_for("POST", ORDERS, tokens), json_body=body)

    assert [error["field"] for error in assert_problem(answer, 400)["errors"]] == ["items.0.quantity"]


def test_a_quantity_in_ascii_digits_is_taken(served: ServedProject, tokens) -> None:
    # The control for the refusals above.
    body = valid_body(served, ORDERS, "")
    body["items"][0]["quantity"] = "1"

    answer = send(served, "POST", ORDERS, token=token_for("POST", ORDERS, tokens), json_body=body)

    assert answer.status == 201, answer.body[:300]


@pytest.mark.parametrize("path", [ME, ORDERS])
def test_authenticated_answers_are_private_and_not_stored(served: ServedProject, tokens, path: str) -> None:
    answer = served.request("GET", path, token=tokens[USER_EMAIL])

    assert answer.status == 200
    assert answer.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
@pytest.mark.parametrize(("method", "path"), WRITES, ids=[path for _, path in WRITES])
def test_wrong_content_type_is_a_415_problem(served: ServedProject, tokens, method, path, content_type) -> None:
    answer = send(
        served,
        method,
        path,
        token=token_for(method, path, tokens),
        body="email=a@example.com",
        headers={"Content-Type": content_type},
    )

    assert assert_problem(answer, 415)["code"] == "unsupported_media_type"


# --- tokens -------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, key: str, alg: str = "HS256") -> str:
    signing_input = f"{b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    if alg == "none":
        return f"{signing_input}."
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def access_claims(identity: dict, expires_in: int) -> dict:
    now = int(time.time())
    return {
        "token_type": "access",
        "exp": now + expires_in,
        "iat": now - 60,
        "jti": uuid.uuid4().hex,
        **identity,
    }


@pytest.fixture(scope="module")
def identity(tokens) -> dict:
    """The claims that name the user in a real access token: the id, and the digest of the password hash."""
    payload = json.loads(base64.urlsafe_b64decode(tokens[USER_EMAIL].split(".")[1] + "=="))
    return {claim: payload[claim] for claim in ("user_id", "hash_password")}


def test_a_token_signed_here_with_the_secret_key_is_accepted(served: ServedProject, identity: dict) -> None:
    # The control for the forgeries below: the hand-made token format is right.
    token = jwt(access_claims(identity, 300), PRODUCTION_ENV["DJANGO_SECRET_KEY"])

    answer = served.request("GET", ME, token=token)

    assert answer.status == 200
    assert answer.json()["email"] == USER_EMAIL


@pytest.mark.parametrize("forgery", ["bad-signature", "alg-none", "expired", "garbage", "empty-signature"])
@pytest.mark.parametrize("path", [ME, ORDERS])
def test_forged_and_expired_tokens_are_401_problems(served: ServedProject, identity: dict, forgery, path) -> None:
    secret = PRODUCTION_ENV["DJANGO_SECRET_KEY"]
    token = {
        "bad-signature": jwt(access_claims(identity, 300), "not-the-secret-key"),
        "alg-none": jwt(access_claims(identity, 300), "", alg="none"),
        "expired": jwt(access_claims(identity, -60), secret),
        "garbage": "' OR 1=1 --",
        "empty-signature": jwt(access_claims(identity, 300), secret).rsplit(".", 1)[0] + ".",
    }[forgery]

    answer = served.request("GET", path, token=token)

    body = assert_problem(answer, 401)
    # A value that is not "<scheme> <token>" is refused before any signature is looked at.
    assert body["code"] == ("bad_authorization_header" if forgery == "garbage" else "token_not_valid")
    assert "ErrorDetail" not in body["detail"]


# --- other people's orders --------------------------------------------------------------


@pytest.fixture(scope="module")
def others_order(served: ServedProject, tokens) -> str:
    return served.request("GET", ORDERS, token=tokens[OTHER_EMAIL]).json()["results"][0]["id"]


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "cancel/")])
def test_another_users_order_is_404_and_untouched(served: ServedProject, tokens, others_order, method, suffix) -> None:
    answer = served.request(method, f"{ORDERS}{others_order}/{suffix}", token=tokens[USER_EMAIL])

    assert assert_problem(answer, 404)["code"] == "not_found"
    owner_view = served.request("GET", f"{ORDERS}{others_order}/", token=tokens[OTHER_EMAIL]).json()
    assert owner_view["status"] == "pending"


@pytest.mark.parametrize("order_id", ["not-a-uuid", "' OR 1=1 --", "%00", str(uuid.UUID(int=0))])
def test_malformed_order_ids_are_404(served: ServedProject, tokens, order_id: str) -> None:
    answer = served.request("GET", f"{ORDERS}{quote(order_id, safe='%')}/", token=tokens[USER_EMAIL])

    assert_problem(answer, 404)


def test_another_users_export_is_404(served: ServedProject, tokens) -> None:
    # No worker runs here: the export stays pending, which is enough to be someone's.
    accepted = served.request("POST", ORDER_EXPORTS, token=tokens[OTHER_EMAIL])
    assert accepted.status == 202, accepted.body

    answer = served.request("GET", f"{ORDER_EXPORTS}{accepted.json()['id']}/", token=tokens[USER_EMAIL])

    assert assert_problem(answer, 404)["code"] == "not_found"


@pytest.mark.parametrize("export_id", ["not-a-uuid", "' OR 1=1 --", "%00", str(uuid.UUID(int=0))])
def test_malformed_export_ids_are_404(served: ServedProject, tokens, export_id: str) -> None:
    answer = served.request("GET", f"{ORDER_EXPORTS}{quote(export_id, safe='%')}/", token=tokens[USER_EMAIL])

    assert_problem(answer, 404)


# --- metacharacters in every text field -------------------------------------------------


def set_field(body: dict, field: str, value: str) -> None:
    if field == "items.0.product_id":
        body["items"][0]["product_id"] = value
    else:
        body[field] = value


@pytest.fixture(scope="module")
def patcher_refresh(served: ServedProject) -> str:
    flush_cache(served)
    answer = served.request("POST", TOKEN, json_body={"email": "patcher@example.com", "password": PASSWORD})
    return answer.json()["refresh"]


@pytest.mark.parametrize("kind", list(HOSTILE_TEXT))
@pytest.mark.parametrize(("method", "path", "field"), TEXT_FIELDS, ids=[f"{p}:{f}" for _, p, f in TEXT_FIELDS])
def test_hostile_text_is_refused_or_stored_verbatim(
    served: ServedProject, tokens, patcher_refresh: str, method: str, path: str, field: str, kind: str
) -> None:
    value = HOSTILE_TEXT[kind]
    body = valid_body(served, path, patcher_refresh)
    set_field(body, field, value)

    answer = send(
        served,
        method,
        path,
        token=token_for(method, path, tokens),
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    free_text = (path, field) in ECHOED | STORED and kind not in NEVER_VALID
    if not free_text and (answer.status >= 400 or kind in NEVER_VALID):
        assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
        assert_problem(answer)
        return
    assert answer.status in {200, 201, 202}, answer.body[:300]
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    if (path, field) in ECHOED:
        assert answer.json()[field] == value
        where = f"{ORDERS}{answer.json()['id']}/" if path == ORDERS else ME
        assert served.request("GET", where, token=tokens["patcher@example.com"]).json()[field] == value
    if (path, field) in STORED:
        stored = served.runner.shell(
            "import json\nfrom apps.users.models import User\n"
            f"print(json.dumps(User.objects.get(email={body['email']!r}).full_name))"
        )
        assert json.loads(stored) == value
