from rest_framework.pagination import CursorPagination


class TicketCursorPagination(CursorPagination):
    """Keyset pagination: page N costs the same as page 1, and rows never shift under a client."""

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
