"""JSON rendering with orjson: the same bytes as DRF's JSONRenderer, several times faster.

The output is what DRF's defaults write (UNICODE_JSON, COMPACT_JSON): UTF-8, no spaces.
"""

import datetime
import decimal
from collections.abc import Mapping
from typing import Any

import orjson
from django.utils import timezone
from rest_framework import renderers
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

# DRF escapes these two, valid in JSON but line ends in JavaScript, so a body stays safe to embed.
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))
_drf_encoder = JSONEncoder()


def _default(value: Any) -> Any:
    """What orjson leaves to us, as DRF's serializer fields would give it."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        # A DateTimeField shows an instant in the current time zone; rows read with values() are in UTC.
        value = timezone.localtime(value)
    elif isinstance(value, decimal.Decimal) and api_settings.COERCE_DECIMAL_TO_STRING:
        return str(value)
    return _drf_encoder.default(value)


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            # An indented body was asked for (a person reading it): DRF's encoder does any width.
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
        except orjson.JSONEncodeError:
            # What orjson will not write (a key that is not a string, an integer over 64 bits):
            # DRF's encoder, and its answer, as before.
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in LINE_SEPARATORS:
            if raw in body:
                body = body.replace(raw, escaped)
        return body
