"""Short-lived secrets between two requests (a refresh pair's grace, a cookie hand-over), sealed.

Kept in Redis when configured, so every web process sees them, else in this process's memory;
never on disk. Each value is encrypted with the keyring under its kind, so a Redis dump does not
hand out tokens either.
"""

from __future__ import annotations

import threading
import time

from openfyxer.core.config import get_settings
from openfyxer.integrations import redis_store
from openfyxer.security import crypto

_local: dict[tuple[str, str], tuple[float, str]] = {}
_lock = threading.Lock()


def put(kind: str, key: str, value: str, ttl_s: int) -> None:
    sealed = crypto.encrypt(value, context=kind)
    url = get_settings().redis_url
    if url:
        redis_store.client(url).setex(f"openfyxer:{kind}:{key}", ttl_s, sealed)
        return
    now = time.monotonic()
    with _lock:
        for stale in [k for k, (until, _) in _local.items() if until < now]:
            del _local[stale]
        _local[(kind, key)] = (now + ttl_s, sealed)


def get(kind: str, key: str, *, take: bool = False) -> str | None:
    """The value while it lives; `take` makes it single-use (the first reader gets it, no other)."""
    url = get_settings().redis_url
    if url:
        client = redis_store.client(url)
        name = f"openfyxer:{kind}:{key}"
        sealed = client.getdel(name) if take else client.get(name)
        sealed = sealed.decode() if sealed else None
    else:
        with _lock:
            until, sealed = (_local.pop if take else _local.get)((kind, key), (0.0, None))
        sealed = sealed if sealed and time.monotonic() <= until else None
    return crypto.decrypt(sealed, context=kind) if sealed else None
