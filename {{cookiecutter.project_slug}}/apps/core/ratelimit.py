"""Fixed-window counters in the cache, and who a request counts against.

The API's throttles and the admin's login limit both count this way: one integer
per (purpose, client, window) that the cache increments atomically.
"""

from django.conf import settings
from django.core.cache import BaseCache
from django.http import HttpRequest


def window_count(cache: BaseCache, key: str, duration: int) -> int | None:
    """One more event in the window ``key`` (``duration`` seconds): the new total, or None if the cache is down."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first event
        # add() is atomic, so only one racing request creates the key; the others count on it.
        if cache.add(key, 1, timeout=duration + 1):
            return 1
        return cache.incr(key)


def window_hit(cache: BaseCache, key: str, duration: int, now: float) -> tuple[int | None, float]:
    """Count one event for ``key`` in the fixed window of ``duration`` seconds that holds ``now``.

    Returns the window's total (None if the cache is down) and the seconds until it ends.
    """
    window = int(now // duration)
    return window_count(cache, f"{key}:{window}", duration), (window + 1) * duration - now


def client_address(request: HttpRequest) -> str:
    """The client's address as the outermost of ``settings.NUM_PROXIES`` proxies saw it.

    Proxies append to X-Forwarded-For; whatever comes before their entries the client
    wrote itself, so trusting it would let a client pick a new identity per request.
    """
    forwarded = request.headers.get("x-forwarded-for", "")
    if settings.NUM_PROXIES and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(settings.NUM_PROXIES, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")
