"""Keeps one mailbox watcher (`watchers.py`) per active account: new mail is synced within seconds
instead of at the next periodic sync.

It runs where the scheduler runs: beside the in-process scheduler in the app (embedded default), in
`python -m workers.scheduler` with Redis. Every `OPENFYXER_IDLE_ACCOUNTS_SECONDS` it reads the active
accounts again and starts or stops watchers to match. `stop()` ends them all within about two
seconds: each is asked (DONE to its IDLE), and any still blocked has its connection torn down.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from openfyxer.core.config import get_settings
from openfyxer.services.mail import watch
from openfyxer.services.mail.watchers import ExchangeWatcher, ImapWatcher, Watcher, WatchState

log = logging.getLogger(__name__)


class Supervisor:
    """Start with start(), end with stop(); status() says what each watcher is doing."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watchers: dict[uuid.UUID, Watcher] = {}
        self._retired: list[Watcher] = []  # stopped for a paused or removed account, maybe not ended yet
        self._thread = threading.Thread(target=self._run, name="openfyxer-watch-supervisor", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:  # the database away a moment must not end the watching
                log.exception("could not read the accounts to watch; trying again")
            self._stop.wait(get_settings().idle_accounts_seconds)

    def reconcile(self) -> None:
        """Start a watcher for each active account that has none, stop those of the others."""
        wanted = watch.targets()
        with self._lock:
            if self._stop.is_set():
                return
            self._retired = [w for w in self._retired if w.thread.is_alive()]
            for account_id, watcher in list(self._watchers.items()):
                if wanted.get(account_id) != watcher.target:
                    watcher.stop()
                    self._retired.append(self._watchers.pop(account_id))
            for account_id, target in wanted.items():
                if account_id not in self._watchers:
                    kind = ExchangeWatcher if target.kind == "exchange" else ImapWatcher
                    self._watchers[account_id] = kind(target).start()

    def status(self) -> dict[uuid.UUID, WatchState]:
        with self._lock:
            return {account_id: w.state for account_id, w in self._watchers.items()}

    def threads(self) -> list[threading.Thread]:
        """Every thread this supervisor started that may still run (its own included)."""
        with self._lock:
            return [self._thread, *(w.thread for w in (*self._watchers.values(), *self._retired))]

    def stop(self, timeout_s: float = 2.0) -> list[str]:
        """End every watcher; the names of threads still running after `timeout_s` (logged)."""
        self._stop.set()
        with self._lock:
            watchers = [*self._watchers.values(), *self._retired]
            self._watchers, self._retired = {}, []
        for w in watchers:
            w.stop()
        half = time.monotonic() + timeout_s / 2
        _join([w.thread for w in watchers], half)
        for w in watchers:
            if w.thread.is_alive():
                w.kill()  # a server that does not answer DONE: its socket is shut under the reader
        _join([self._thread, *(w.thread for w in watchers)], time.monotonic() + timeout_s / 2)
        left = [t.name for t in (self._thread, *(w.thread for w in watchers)) if t.is_alive()]
        if left:
            log.warning("mail watchers still running after %.1f s: %s", timeout_s, ", ".join(left))
        return left


def _join(threads: list[threading.Thread], deadline: float) -> None:
    for t in threads:
        if t.ident is not None:
            t.join(max(0.0, deadline - time.monotonic()))


def start() -> Supervisor | None:
    """Start watching when OPENFYXER_IDLE allows it (None: off)."""
    if not get_settings().idle:
        return None
    return Supervisor().start()
