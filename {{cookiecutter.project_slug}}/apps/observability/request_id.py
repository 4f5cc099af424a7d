"""The current request's id, readable anywhere in its thread or task: logs, outgoing tasks."""

import re
import uuid
from contextvars import ContextVar

# Accept what a proxy or client sends only if it is short and harmless in a log line.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(header_value: str | None) -> str:
    if header_value and VALID_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()
