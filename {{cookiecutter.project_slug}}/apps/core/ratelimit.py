"""Fixed-window counters in the cache, and who a request counts against.

The API's throttles and the admin's login limit both count this way: one integer
per (purpose, client, window) that the cache increments atomically.
"""

import ipaddress

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
    """The address of the client behind ``settings.TRUSTED_PROXIES``, as the nearest of them saw it.

    Each trusted proxy appends the address it saw to X-Forwarded-For, so the header is read
    from the right, one entry per trusted hop: the first address that is not a trusted proxy
    is the client. A header from anyone else, and whatever stands left of that address, the
    client wrote itself; trusting it would let a client pick a new identity per request.
    """
    client = request.META.get("REMOTE_ADDR", "")
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    while hops and is_trusted_proxy(client):
        hop = hops.pop()
        if ip_address(hop) is None:  # the proxy passed on a header it did not write
            break
        client = hop
    return client


def is_trusted_proxy(address: str) -> bool:
    ip = ip_address(address)
    return ip is not None and any(ip in network for network in settings.TRUSTED_PROXIES)


def ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    # gunicorn bound to [::] sees IPv4 peers as ::ffff:a.b.c.d.
    return getattr(ip, "ipv4_mapped", None) or ip
