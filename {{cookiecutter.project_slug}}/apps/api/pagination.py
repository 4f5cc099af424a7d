from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination: the cost of a page does not grow with its depth.

    Rows created in the same instant are ordered by primary key as well, so
    the order is total and no row is skipped or repeated across pages.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-pk")
