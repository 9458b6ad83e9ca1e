"""Parsing many messages on every core: a small process pool for large syncs.

The pool uses the spawn start method: the web process runs threads, and forking a threaded
process can copy a held lock into the child. Small syncs parse inline, where starting
workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from openfyxer.core.config import get_settings
from openfyxer.services.mail.mime import ParsedMessage, parse_message

POOL_THRESHOLD = 400  # messages; below this, parse in the calling thread
AHEAD = 3  # chunks parsed ahead of the one being stored

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def parse_batch(raws: list[bytes], limit: int) -> list[ParsedMessage]:
    return [parse_message(raw, max_attachment_bytes=limit) for raw in raws]


def _workers() -> int:
    return get_settings().parse_workers or min(4, os.cpu_count() or 1)


def pool_for(count: int) -> Executor | None:
    """A shared pool when `count` messages are worth it and more than one core exists."""
    global _pool
    if count < POOL_THRESHOLD or _workers() < 2:
        return None
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=_workers(), mp_context=multiprocessing.get_context("spawn"))
        return _pool


def submit(pool: Executor | None, raws: list[bytes], limit: int) -> Future:
    if pool is None:
        f: Future = Future()
        f.set_result(parse_batch(raws, limit))
        return f
    return pool.submit(parse_batch, raws, limit)


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(cancel_futures=True)
            _pool = None
