"""The bare floor of /healthz: Django's handler with no middleware at all (the benchmark's copy only).

config/wsgi.py of the benchmark's copy ends by wrapping its application in
``floor_dispatch``: a request for FLOOR_HEALTHZ goes to a WSGIHandler whose middleware
chain is empty; everything else goes to the project's application as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

FLOOR_HEALTHZ = "/floor/healthz"


class BareHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


def floor_dispatch(application: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    bare = BareHandler()

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FLOOR_HEALTHZ:
            return bare(environ, start_response)
        return application(environ, start_response)

    return dispatch
