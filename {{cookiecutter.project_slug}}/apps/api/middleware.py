"""Cache-Control for API answers given to an authenticated client."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PRIVATE_NO_STORE = "private, no-store"


class PrivateAPIResponseMiddleware:
    """Mark every answer to an authenticated API request ``Cache-Control: private, no-store``.

    Without the header a shared cache (a CDN, a corporate proxy) may keep one user's
    profile or data and serve them to the next, and a browser keeps them on disk
    after logout. A view that sets its own Cache-Control keeps it; anonymous answers
    (sign-up, the schema) are left as they are.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # DRF's Request sets ``auth`` and ``user`` on the Django request once it has run the view's
        # authentication classes. Outside DRF views ``user`` is the session's lazy user, not read
        # here: reading it would load the session and add "Vary: Cookie" to every answer.
        if hasattr(request, "auth") and request.user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = PRIVATE_NO_STORE
        return response
