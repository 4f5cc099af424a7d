"""Fixed-window counters in the cache, and who a request counts against.

The API's throttles and the admin's login limit both count this way: one integer
per (purpose, client, window) that the cache increments atomically. Logins are
also counted per account (``login_attempt`` below), whatever address they come from.
"""

import contextlib
import hashlib
import ipaddress
from typing import Any, cast

from django.conf import settings
from django.core.cache import BaseCache
from django.http import HttpRequest
from django_redis.cache import RedisCache
from django_redis.client import DefaultClient
from redis.exceptions import RedisError

# Count and, for the window's first event, set the expiry: one round trip, atomic in Redis.
WINDOW_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
# Registered on the first client that needs it, then called on any: redis-py sends it by digest.
_scripts: dict[str, Any] = {}


def window_count(cache: BaseCache, key: str, duration: int) -> int | None:
    """One more event in the window ``key`` (``duration`` seconds): the new total, or None if the cache is down.

    Every API request is counted here, so on Redis it is one round trip (a Lua script, sent
    by its digest after the first time) instead of django-redis's incr, which needs a
    second and a third when the window's key does not exist yet.
    """
    # By what it holds, not its class: django.core.cache.cache is a proxy to the configured cache.
    if isinstance(getattr(cache, "client", None), DefaultClient):
        return _redis_window_count(cast(RedisCache, cache), key, duration)
    try:
        return cache.incr(key)
    except ValueError:  # the window's first event
        # add() is atomic, so only one racing request creates the key; the others count on it.
        if cache.add(key, 1, timeout=duration + 1):
            return 1
        return cache.incr(key)


def _redis_window_count(cache: RedisCache, key: str, duration: int) -> int | None:
    client = cache.client.get_client(write=True)
    script = _scripts.get("window_hit") or _scripts.setdefault("window_hit", client.register_script(WINDOW_HIT))
    try:
        # The key as django-redis names it; integers are stored as such, so cache.get() reads the count.
        return int(script(keys=[cache.make_key(key)], args=[duration + 1], client=client))
    except RedisError:
        # What django-redis does with the cache's own errors (IGNORE_EXCEPTIONS in the settings).
        if not cache._ignore_exceptions:
            raise
        if cache._log_ignored_exceptions:
            cache.logger.exception("Exception ignored")
        return None


def window_hit(cache: BaseCache, key: str, duration: int, now: float) -> tuple[int | None, float]:
    """Count one event for ``key`` in the fixed window of ``duration`` seconds that holds ``now``.

    Returns the window's total (None if the cache is down) and the seconds until it ends.
    """
    window = int(now // duration)
    return window_count(cache, f"{key}:{window}", duration), (window + 1) * duration - now


def login_attempt(cache: BaseCache, *, email: str, now: float) -> float | None:
    """Count a login attempt against the account ``email`` names; seconds to wait if it is over the limit, else None.

    Counted before the password is checked, so that concurrent guesses cannot all slip in
    under the limit; ``login_succeeded`` takes a successful attempt back out. An address
    without an account is counted the same, so a 429 tells nobody whether one exists. The
    lock ends with the window: a guesser can hold an account's owner off for one window at
    a time, never for good.
    """
    window = settings.LOGIN_FAILURES_WINDOW_SECONDS
    attempts, left = window_hit(cache, _account_key(email), window, now)
    # None: the cache is down. Fail open, like the other limits: the password still has to match.
    if attempts is None or attempts <= settings.LOGIN_FAILURES_PER_ACCOUNT:
        return None
    return left


def login_succeeded(cache: BaseCache, *, email: str, now: float) -> None:
    """Take back the attempt ``login_attempt`` counted at ``now``: only failures use up an account's allowance."""
    window = int(now // settings.LOGIN_FAILURES_WINDOW_SECONDS)
    with contextlib.suppress(ValueError):  # the window's key expired meanwhile
        cache.decr(f"{_account_key(email)}:{window}")


def _account_key(email: str) -> str:
    # Folded as the login folds it (UserManager.normalize_email), so "Ann@X.com" buys no fresh
    # attempts for ann@x.com; a digest keeps a 254-character address within the cache's key size.
    # A login form takes any text: a lone surrogate cannot be UTF-8, but it still names one count.
    folded = email.strip().lower().encode(errors="surrogatepass")
    return f"login-failures:{hashlib.sha256(folded).hexdigest()}"


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
