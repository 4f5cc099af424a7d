"""Request body parsers."""

import codecs
from collections.abc import Mapping
from typing import Any

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


class JSONParser(parsers.JSONParser):
    """DRF's parser, refusing as a 400 two kinds of JSON that its decoder lets through or chokes on.

    An object with a key twice: Python's decoder keeps the last value, other decoders
    (a proxy's, a gateway's, a logger's) may keep the first, so two programs would
    read one request differently. RFC 8259 leaves the meaning open; here it has none.

    JSON nested too deep: DRF turns only ValueError into a parse error. A body of
    100,000 "[" characters, well under the upload limit, makes the decoder raise
    RecursionError: a 500, an error log and an error report that any anonymous
    client could repeat at will.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        # DRF's own choice of charset, which refuses codecs that decompress (bz2_codec and the like).
        encoding = get_encoding(parser_context or {})
        try:
            return json.loads(
                codecs.getreader(encoding)(stream).read(),
                parse_constant=json.strict_constant if self.strict else None,
                object_pairs_hook=_object_without_duplicate_keys,
            )
        except DuplicateKeyError as error:
            raise ParseError(MSG_DUPLICATE_KEY) from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            raise ParseError(MSG_NESTED_TOO_DEEP) from error
