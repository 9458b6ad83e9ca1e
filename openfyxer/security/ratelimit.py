"""Per-user request rate limit: a moving window in Redis when configured, in memory otherwise.

The `limits` library does the window arithmetic; both storages behave the same, and the
Redis one is shared by every web process.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from openfyxer.core.config import get_settings


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int


@lru_cache
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def storage_uri() -> str:
    s = get_settings()
    return s.redis_url if s.redis_url else "memory://"


def address_key(address: str | None) -> str:
    """The bucket of one client address: the API's sign-in routes and the dashboard's sign-in and
    registration forms share it, so switching doors buys no extra guesses."""
    return f"ip:{address}"


def hit(key: str) -> Decision:
    """Count one request for `key` and say whether it may go on."""
    item = RateLimitItemPerMinute(get_settings().rate_limit_per_minute)
    limiter = _limiter(storage_uri())
    allowed = limiter.hit(item, "openfyxer", key)
    stats = limiter.get_window_stats(item, "openfyxer", key)
    retry = max(1, math.ceil(stats.reset_time - time.time())) if not allowed else 0
    return Decision(allowed=allowed, remaining=stats.remaining, retry_after=retry)


def reset() -> None:
    _limiter.cache_clear()
