"""Request body parsers."""

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MSG_NESTED_TOO_DEEP = "JSON parse error - the document is nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's parser, with JSON nested too deep for Python's decoder refused as a 400.

    DRF turns only ValueError into a parse error. A body of 100,000 "[" characters,
    well under the upload limit, makes the decoder raise RecursionError: a 500, an
    error log and an error report that any anonymous client could repeat at will.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(MSG_NESTED_TOO_DEEP) from error
