"""A real S3-compatible server for the tests: moto's standalone server on loopback, one per test session.

Loaded by the root conftest.py as a pytest plugin. ``s3_storage`` makes production's
storage options (config/settings/storage_settings.py) the default storage, pointed at
that server and at an empty bucket of the test's own. moto answers the S3 API as AWS
does but checks neither signatures nor expiry: test_storage.py proves those at the
signing layer.
"""

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from django.core.files.storage import Storage, storages

from config.settings import storage_settings as production

REGION = "us-east-1"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def keys(self, bucket: str) -> list[str]:
        """Every object in ``bucket``, read from the server itself."""
        return [item["Key"] for item in self.client().list_objects_v2(Bucket=bucket).get("Contents", [])]


def storage_entry(*, bucket: str, endpoint_url: str) -> dict[str, Any]:
    # Path-style addressing: a bucket cannot be a subdomain of 127.0.0.1.
    return production.s3_storage(
        bucket=bucket,
        region=REGION,
        endpoint_url=endpoint_url,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        addressing_style="path",
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield S3Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket: no test sees another's files."""
    bucket = f"test-{uuid.uuid4().hex}"
    s3_server.client().create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def s3_storage(s3_server: S3Server, s3_bucket: str, settings) -> Storage:
    """The default storage: production's S3 storage, on the test server's bucket."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_entry(bucket=s3_bucket, endpoint_url=s3_server.endpoint_url),
    }
    return storages["default"]


@pytest.fixture
def s3_down(s3_bucket: str, settings) -> None:
    """The default storage names ``s3_bucket``, at an endpoint where nothing listens: the store is down."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_entry(bucket=s3_bucket, endpoint_url=f"http://127.0.0.1:{free_port()}"),
    }
