"""Request body parsers."""

import codecs
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]  # DRF 3.18; the stubs are 3.16
from rest_framework.utils import json

MSG_NESTED_TOO_DEEP = "JSON parse error - the document is nested too deeply."
MSG_DUPLICATE_KEY = "JSON parse error - an object has the same key more than once."


class DuplicateKeyError(ValueError):
    pass


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise DuplicateKeyError(MSG_DUPLICATE_KEY)
    return obj


def _key_count(document: Any) -> int:
    """How many keys the objects of a parsed document hold, all levels together.

    A loop, not recursion: the depth is the client's to choose (orjson allows 1,024 levels).
    """
    count, pending = 0, [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            count += len(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def _may_repeat_a_key(raw: bytes, document: Any) -> bool:
    """False only when no object of the document can have had a key twice.

    Every key of the text is followed by a colon outside strings, so the text holds at
    least as many colons as keys. A parse that kept every key keeps as many as the text
    has colons only if none was dropped for a repeat; colons inside strings can only make
    this say True, never False: only a body with a colon in a string (a time, a URL) or a
    repeated key pays for the slow path.
    """
    return raw.count(b":") != _key_count(document)


class JSONParser(parsers.JSONParser):
    """DRF's parser, refusing as a 400 two kinds of JSON that its decoder lets through or chokes on.

    An object with a key twice: Python's decoder keeps the last value, other decoders
    (a proxy's, a gateway's, a logger's) may keep the first, so two programs would
    read one request differently. RFC 8259 leaves the meaning open; here it has none.

    JSON nested too deep: DRF turns only ValueError into a parse error. A body of
    100,000 "[" characters, well under the upload limit, makes the decoder raise
    RecursionError: a 500, an error log and an error report that any anonymous
    client could repeat at will.

    orjson parses UTF-8 bodies first, several times faster than the standard library. It
    keeps the last of two equal keys without a word, so a body that may repeat one
    (``_may_repeat_a_key``) and any body orjson refuses go through the standard decoder,
    whose answer is the one given before orjson was used.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        # DRF's own choice of charset, which refuses codecs that decompress (bz2_codec and the like).
        encoding = get_encoding(parser_context or {})
        if codecs.lookup(encoding).name != "utf-8":
            return self._parse_slowly(codecs.getreader(encoding)(stream).read())
        raw = stream.read()
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            # Malformed, too deep or not UTF-8: the standard decoder's answer, as before, says which.
            return self._parse_slowly(raw)
        return self._parse_slowly(raw) if _may_repeat_a_key(raw, document) else document

    def _parse_slowly(self, text: str | bytes) -> Any:
        try:
            if isinstance(text, bytes):
                text = text.decode()
            return json.loads(
                text,
                parse_constant=json.strict_constant if self.strict else None,
                object_pairs_hook=_object_without_duplicate_keys,
            )
        except DuplicateKeyError as error:
            raise ParseError(MSG_DUPLICATE_KEY) from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            raise ParseError(MSG_NESTED_TOO_DEEP) from error
