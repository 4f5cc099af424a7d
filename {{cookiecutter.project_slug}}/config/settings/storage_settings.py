"""Uploaded files in S3-compatible object storage: the storage production uses, and the tests point at a local server.

Every replica reads and writes the same bucket, so nothing lives on a server's disk.
Objects are private (no ACL is ever sent; the bucket's own policy applies, and it
should block public access). A reader gets a signed URL that expires: ``FileField.url``
signs one with the storage's credentials, without a call to the store.
"""

from typing import Any

from botocore.config import Config

S3_BACKEND = "storages.backends.s3.S3Storage"
# Long enough to start a download, short enough that a leaked link (a log, a shared
# screen, a browser history) is soon worthless.
SIGNED_URL_SECONDS = 300


def s3_storage(
    *,
    bucket: str,
    region: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    addressing_style: str = "auto",
    signed_url_seconds: int = SIGNED_URL_SECONDS,
) -> dict[str, Any]:
    """A ``STORAGES`` entry for ``bucket``: private objects, signed URLs, no overwrites, short timeouts."""
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": region,
            # None is AWS itself; R2, MinIO, Spaces and the tests' server are named by URL.
            "endpoint_url": endpoint_url,
            # None leaves boto3 to its own chain: an instance or pod role, AWS_* variables.
            "access_key": access_key,
            "secret_key": secret_key,
            # No ACL header: objects stay as private as the bucket (some stores refuse ACLs outright).
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": signed_url_seconds,
            # A second file under a taken name gets a new name instead of replacing the first.
            "file_overwrite": False,
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": addressing_style},
                # A store that stalls fails the request or the task in seconds, instead of holding a worker.
                connect_timeout=5,
                read_timeout=30,
                retries={"mode": "standard", "max_attempts": 3},
            ),
        },
    }
