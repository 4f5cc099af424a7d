"""The API's JSON renderer and parser: orjson's speed, DRF's answers."""

import datetime
import io
import json
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework import renderers, serializers
from rest_framework.exceptions import ParseError

from apps.api import parsers
from apps.api.parsers import MSG_DUPLICATE_KEY, JSONParser
from apps.api.renderers import JSONRenderer

OSLO = ZoneInfo("Europe/Oslo")
INSTANT = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)


class Row(serializers.Serializer):
    id = serializers.UUIDField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    created_at = serializers.DateTimeField()
    day = serializers.DateField()
    name = serializers.CharField()


ROW = {
    "id": uuid.UUID("0b9a8f6e-8a57-4c8e-9d5e-3f1c2b7a6d40"),
    "amount": Decimal("19.98"),
    "created_at": INSTANT,
    "day": datetime.date(2026, 1, 2),
    "name": "Zoë \u2028 <b>",
}


@pytest.mark.parametrize("zone", ["UTC", "Europe/Oslo"])
def test_raw_values_render_as_drf_renders_what_its_serializer_fields_give(settings, zone: str) -> None:
    # A read path that hands rows from values() to the renderer answers what a serializer would have.
    settings.TIME_ZONE = zone
    expected = renderers.JSONRenderer().render({"results": [Row(ROW).data]})

    assert JSONRenderer().render({"results": [ROW]}) == expected


def test_a_line_separator_is_escaped_as_drf_escapes_it() -> None:
    assert JSONRenderer().render({"name": "a\u2028b\u2029c"}) == b'{"name":"a\\u2028b\\u2029c"}'


def test_an_indented_body_is_drfs() -> None:
    data = {"a": [1, 2]}

    ours = JSONRenderer().render(data, "application/json; indent=4", {})

    assert ours == renderers.JSONRenderer().render(data, "application/json; indent=4", {})


@pytest.mark.parametrize("data", [{1: "one"}, {"big": 2**70}])
def test_what_orjson_cannot_write_is_written_by_drfs_encoder(data: dict) -> None:
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def parse(body: bytes) -> object:
    return JSONParser().parse(io.BytesIO(body), "application/json", {})


def test_a_plain_body_never_reaches_the_standard_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the slow path parsed a body without colons in its strings")

    monkeypatch.setattr(parsers.json, "loads", refuse)

    body = b'{"items": [{"product_id": "0b9a8f6e-8a57-4c8e-9d5e-3f1c2b7a6d40", "quantity": 2}], "notes": "ring twice"}'
    assert parse(body) == {
        "items": [{"product_id": "0b9a8f6e-8a57-4c8e-9d5e-3f1c2b7a6d40", "quantity": 2}],
        "notes": "ring twice",
    }


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": {"b": 1, "b": 2}}',
        b'[{"x": [{"deep": {"k": 1, "k": 1}}]}]',
        # A colon in a string makes the colons outnumber the keys anyway: the slow path still finds the repeat.
        b'{"at": "10:00", "items": [{"q": 1, "q": 2}]}',
        # As many colons as the parse kept keys, yet one repeated: the string's colon hides nothing.
        b'{"a": "x:y", "a": 1}',
    ],
)
def test_a_repeated_key_at_any_depth_is_refused(body: bytes) -> None:
    with pytest.raises(ParseError, match=MSG_DUPLICATE_KEY):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [b'{"at": "10:00", "url": "https://example.com/"}', b'{"a": {"b": 1}, "c": [{"b": 2}]}', b"[1, 2]", b'"x"'],
)
def test_a_body_without_a_repeated_key_parses_as_the_standard_decoder_reads_it(body: bytes) -> None:
    assert parse(body) == json.loads(body)


@pytest.mark.parametrize("body", [b'{"a": NaN}', b"\xff", b"{"])
def test_what_orjson_refuses_is_answered_as_before(body: bytes) -> None:
    with pytest.raises(ParseError, match="JSON parse error"):
        parse(body)


def test_a_lone_surrogate_escape_is_read_as_before() -> None:
    # orjson refuses it; the standard decoder, which answered before, reads it.
    assert parse(b'"\\ud800"') == "\ud800"
