"""Serializer fields the API uses instead of DRF's where DRF is too lenient."""

import re
from typing import Any

from rest_framework import serializers

# A sign and ASCII digits, nothing else. int() also takes the digits of every other script
# (U+0663 ARABIC-INDIC DIGIT THREE, U+FF11 FULLWIDTH DIGIT ONE), "1_000" and whitespace around
# the number, which a proxy, a log reader or a client's own validation would not read as one.
ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


def is_ascii_integer(text: str) -> bool:
    return ASCII_INTEGER.fullmatch(text) is not None


class StrictIntegerField(serializers.IntegerField):
    """DRF's IntegerField, taking a JSON number or a string of ASCII digits only.

    Documented as an integer by drf-spectacular, like its parent.
    """

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not is_ascii_integer(data):
            self.fail("invalid")
        return super().to_internal_value(data)
