"""The Redis connection shared by jobs, rate limits and caches."""

from __future__ import annotations

from functools import lru_cache

import redis

from openfyxer.core.errors import OpenFyxerError


class RedisUnavailable(OpenFyxerError):
    """Redis did not answer."""

    status = 503
    code = "redis_unavailable"


@lru_cache
def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def ping(url: str) -> None:
    try:
        client(url).ping()
    except redis.RedisError as e:
        raise RedisUnavailable(f"redis: {e}") from e
