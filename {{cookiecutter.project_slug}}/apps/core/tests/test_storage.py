"""Uploaded files in object storage: against moto's S3 server on loopback, and at the signing layer.

moto stores and serves objects as S3 does, but accepts any signature and ignores
expiry. So the server tests prove the round trip (a file written is read back
through its signed URL) and that objects are never public; the signing tests
recompute each URL's SigV4 signature as S3 would, to prove it expires when
promised and that a changed URL (another key, a longer life) is refused.
"""

import urllib.request
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from apps.core.tests.object_storage import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from config.settings.storage_settings import SIGNED_URL_SECONDS

SIGV4_DATE = "%Y%m%dT%H%M%SZ"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def signature_holds(url: str, *, secret_key: str = SECRET_KEY, now: datetime | None = None) -> bool:
    """What S3 checks before it serves a signed GET: the link has not expired, and its signature is the URL's.

    The signature is computed afresh by botocore's signer from the URL as received (path,
    date, lifetime, credential) with the secret key that belongs to the credential's key id.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = dict(query)
    signed_at = datetime.strptime(given["X-Amz-Date"], SIGV4_DATE).replace(tzinfo=UTC)
    if (now or datetime.now(UTC)) > signed_at + timedelta(seconds=int(given["X-Amz-Expires"])):
        return False
    access_key, _, scope = given["X-Amz-Credential"].partition("/")
    region = scope.split("/")[1]
    operation = [(name, value) for name, value in query if not name.startswith("X-Amz-")]
    request = AWSRequest(method="GET", url=urlunsplit(parts._replace(query=urlencode(operation))))
    signer = S3SigV4QueryAuth(Credentials(access_key, secret_key), "s3", region, expires=int(given["X-Amz-Expires"]))
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at.replace(tzinfo=None)):
        signer.add_auth(request)
    return dict(parse_qsl(urlsplit(request.url).query))["X-Amz-Signature"] == given["X-Amz-Signature"]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- against the server ----------------------------------------------------------------------


def test_a_stored_file_is_downloaded_through_its_signed_url(s3_storage: Storage) -> None:
    name = s3_storage.save("reports/2026.csv", ContentFile(b"id,total\n1,9.99\n"))

    url = s3_storage.url(name)

    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test server's http URL
        assert response.read() == b"id,total\n1,9.99\n"


def test_a_second_file_under_a_taken_name_never_replaces_the_first(
    s3_storage: Storage, s3_server: S3Server, s3_bucket: str
) -> None:
    first = s3_storage.save("reports/same.csv", ContentFile(b"first"))
    second = s3_storage.save("reports/same.csv", ContentFile(b"second"))

    assert first != second
    assert sorted(s3_server.keys(s3_bucket)) == sorted([first, second])
    with s3_storage.open(first) as kept:
        assert kept.read() == b"first"


def test_objects_are_stored_without_a_public_grant(s3_storage: Storage, s3_server: S3Server, s3_bucket: str) -> None:
    name = s3_storage.save("reports/private.csv", ContentFile(b"secret"))

    grants = s3_server.client().get_object_acl(Bucket=s3_bucket, Key=name)["Grants"]

    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all(grant["Grantee"].get("URI") != ALL_USERS for grant in grants)


# --- at the signing layer --------------------------------------------------------------------


def test_a_signed_url_is_valid_now_for_the_configured_lifetime(s3_storage: Storage) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    url = s3_storage.url("reports/2026.csv")
    query = dict(parse_qsl(urlsplit(url).query))

    signed_at = datetime.strptime(query["X-Amz-Date"], SIGV4_DATE).replace(tzinfo=UTC)
    assert before <= signed_at <= datetime.now(UTC)
    assert int(query["X-Amz-Expires"]) == SIGNED_URL_SECONDS == 300
    assert query["X-Amz-Credential"].startswith(f"{ACCESS_KEY}/{signed_at:%Y%m%d}/{REGION}/s3/aws4_request")
    assert signature_holds(url)


def test_a_signed_url_expires_after_its_lifetime(s3_storage: Storage) -> None:
    url = s3_storage.url("reports/2026.csv")
    signed_at = datetime.strptime(dict(parse_qsl(urlsplit(url).query))["X-Amz-Date"], SIGV4_DATE).replace(tzinfo=UTC)

    assert signature_holds(url, now=signed_at + timedelta(seconds=SIGNED_URL_SECONDS))
    assert not signature_holds(url, now=signed_at + timedelta(seconds=SIGNED_URL_SECONDS + 1))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda url: url.replace("reports/2026.csv", "reports/2025.csv"), id="another-key"),
        pytest.param(lambda url: with_query(url, **{"X-Amz-Expires": "604800"}), id="longer-life"),
        pytest.param(lambda url: with_query(url, **{"X-Amz-Date": "20990101T000000Z"}), id="later-date"),
        pytest.param(lambda url: with_query(url, **{"response-content-type": "text/html"}), id="added-parameter"),
    ],
)
def test_a_changed_signed_url_is_refused(s3_storage: Storage, tamper) -> None:
    url = s3_storage.url("reports/2026.csv")
    assert signature_holds(url)

    assert not signature_holds(tamper(url))


def test_a_url_signed_with_another_secret_is_refused(s3_storage: Storage) -> None:
    url = s3_storage.url("reports/2026.csv")

    assert not signature_holds(url, secret_key="not-" + SECRET_KEY)
