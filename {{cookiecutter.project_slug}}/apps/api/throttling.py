"""Rate limits kept as one counter per client and time window.

DRF's own throttles store the timestamp of every request in the window as one
cached list, read and rewrite the whole list on each request, and do so without
a lock: at 1000/hour that is up to 1000 numbers moved twice per request, and
two concurrent requests can both read the old list, so one of them goes
uncounted. Here each (scope, client, window) is a single integer that the cache
increments atomically: constant cost, nothing lost. The price is the usual one
of fixed windows: a client can spend one window's allowance at its very end and
the next window's at its start.
"""

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request

from apps.core.ratelimit import client_address, window_hit


class CounterRateThrottle(throttling.SimpleRateThrottle):
    """Counts requests per fixed window; the subclasses below choose who is counted."""

    # Set from the rate by SimpleRateThrottle.__init__ (never read while the rate is None).
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        count, self.window_left = window_hit(self.cache, key, self.duration, self.timer())
        # None: the cache is down (its errors are ignored, see settings). Like DRF's own
        # throttles, fail open: refusing every request would turn a Redis outage into an API outage.
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_left, 0.0)

    def get_ident(self, request: Request) -> str:
        # DRF's own reading of X-Forwarded-For believes any caller; the admin's limit counts the same clients.
        return client_address(request)


# The DRF class comes first so that its get_cache_key (and the scope lookup of
# ScopedRateThrottle.allow_request) runs before the counting above.
class AnonRateThrottle(throttling.AnonRateThrottle, CounterRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, CounterRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, CounterRateThrottle):
    pass
