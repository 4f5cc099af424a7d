from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from apps.api.fields import is_ascii_integer


class StableCursorPagination(CursorPagination):
    """Cursor pagination: the cost of a page does not grow with its depth.

    Rows created in the same instant are ordered by primary key as well, so
    the order is total and no row is skipped or repeated across pages.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-pk")

    def get_page_size(self, request: Request) -> int | None:
        # DRF reads the parameter with int(), which takes digits of any script: those are
        # ignored like any other value that is not a page size.
        requested = request.query_params.get(self.page_size_query_param, "")
        if not is_ascii_integer(requested):
            return self.page_size
        return super().get_page_size(request)
