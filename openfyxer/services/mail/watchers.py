"""One long-lived thread per watched account: IMAP IDLE (or a STATUS poll) and Exchange's timed sync.

What they decide lives in `watch.py`; `supervisor.py` starts and stops them. A watcher only ever
declares `sync_account`; its failures (a server gone, a wrong password) are kept in its `state`,
logged, and retried after an exponential backoff with jitter, never in a tight loop.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime

from openfyxer.core.config import get_settings
from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations import imap
from openfyxer.integrations.imap_idle import Idle, InboxState
from openfyxer.services.mail import watch

log = logging.getLogger(__name__)

NOT_NEW = {"EXPUNGE", "FETCH"}  # removals and flag changes: no new UID to compare, sync anyway


@dataclass
class WatchState:
    """What a watcher is doing and what went wrong last; read by the supervisor and tests."""

    mode: str = "starting"  # idle | poll | exchange | waiting | stopped
    connected: bool = False
    attempts: int = 0  # connections tried
    failures: int = 0  # failures since the last good round
    last_error: str | None = None
    last_error_at: datetime | None = None
    retry_in: float | None = None
    idles: int = 0  # IDLE commands issued
    polls: int = 0
    syncs_asked: int = 0


class Watcher(ABC):
    """A daemon thread for one account; stop() asks it to end, kill() forces a blocked one. Each kind
    of account says in `_run` how it learns of new mail."""

    def __init__(self, target: watch.Target):
        self.target = target
        self.state = WatchState()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._main, name=f"openfyxer-watch-{str(target.account_id)[:8]}",
                                       daemon=True)

    def start(self) -> Watcher:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def kill(self) -> None:
        """Nothing to tear down unless a subclass holds a connection."""

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _main(self) -> None:
        try:
            self._run()
        finally:
            self.state.mode, self.state.connected = "stopped", False
            self._publish()

    def _publish(self) -> None:
        watch.publish(self.target.account_id, self.state)

    @abstractmethod
    def _run(self) -> None: ...

    def _ask_sync(self, why: str) -> None:
        try:
            watch.request_sync(self.target)
            self.state.syncs_asked += 1
            log.debug("account %s: sync declared (%s)", self.target.account_id, why)
        except Exception:  # the database may be away a moment; the next change or the periodic sync retries
            log.exception("account %s: could not declare its sync", self.target.account_id)


class ExchangeWatcher(Watcher):
    """Exchange has no IDLE here: the account's sync is declared every few seconds instead."""

    def _run(self) -> None:
        self.state.mode = "exchange"
        self._publish()
        while not self._stop.wait(get_settings().idle_exchange_poll_seconds):
            self._ask_sync("timed poll")
            self.state.polls += 1
            self._publish()


class ImapWatcher(Watcher):
    """IDLE on INBOX, or STATUS every few seconds where the server has no IDLE; reconnects with backoff."""

    def __init__(self, target: watch.Target):
        super().__init__(target)
        self._idle: Idle | None = None

    def stop(self) -> None:
        super().stop()
        idle = self._idle
        if idle is not None:
            idle.done()  # the server answers DONE at once; the thread then signs out

    def kill(self) -> None:
        idle = self._idle
        if idle is not None:
            idle.interrupt()

    def _run(self) -> None:
        backoff = watch.Backoff()
        while not self.stopping:
            try:
                self._connection(backoff)
            except Exception as e:
                if self.stopping:
                    break
                self._failed(e, backoff.next_delay())
                self._stop.wait(self.state.retry_in or 0)

    def _failed(self, e: Exception, delay: float) -> None:
        why = e.message if isinstance(e, OpenFyxerError) else f"{type(e).__name__}: {e}"
        s = self.state
        s.mode, s.connected, s.failures = "waiting", False, s.failures + 1
        s.last_error, s.last_error_at, s.retry_in = why, datetime.now(UTC), delay
        log.warning("account %s: mail watcher failed (%s); attempt %d, retrying in %.1f s", self.target.account_id,
                    why, s.failures, delay, exc_info=not isinstance(e, OpenFyxerError))
        self._publish()

    def _connection(self, backoff: watch.Backoff) -> None:
        cfg = watch.imap_config(self.target.account_id)
        if cfg is None:  # paused or removed: the supervisor stops this watcher at its next look
            self._stop.wait(get_settings().idle_accounts_seconds)
            return
        self.state.attempts += 1
        conn = imap.ImapSession(cfg)
        try:
            self._idle = idle = Idle(conn)
            if self.stopping:
                return
            use_idle = idle.supported and not get_settings().idle_force_poll
            self.state.mode, self.state.connected, self.state.retry_in = ("idle" if use_idle else "poll"), True, None
            self._publish()
            log.info("account %s: watching INBOX (%s)", self.target.account_id,
                     "IDLE" if use_idle else f"STATUS every {get_settings().idle_poll_seconds:g} s")
            (self._idle_rounds if use_idle else self._poll_rounds)(idle, backoff)
        finally:
            self._idle = None
            self.state.connected = False
            _close(conn)

    def _idle_rounds(self, idle: Idle, backoff: watch.Backoff) -> None:
        asks, changes = watch.Asks(), set()
        while not self.stopping:
            inbox = idle.examine_inbox()
            pending = self._compare(inbox, asks, bool(changes & NOT_NEW))
            settings = get_settings()
            self.state.idles += 1
            changes = idle.wait(settings.idle_recheck_seconds if pending else settings.idle_refresh_seconds,
                                cancel=self._stop)
            self._good_round(backoff)

    def _poll_rounds(self, idle: Idle, backoff: watch.Backoff) -> None:
        asks, last = watch.Asks(), None
        while not self.stopping:
            inbox = idle.status_inbox()
            self.state.polls += 1
            moved = last is not None and (inbox.messages, inbox.highest_modseq) != (last.messages, last.highest_modseq)
            self._compare(inbox, asks, moved)
            last = inbox
            self._good_round(backoff)
            self._stop.wait(get_settings().idle_poll_seconds)

    def _good_round(self, backoff: watch.Backoff) -> None:
        """A whole round on this connection: the server is fine again, the next failure starts over."""
        backoff.reset()
        self.state.failures = 0
        self._publish()

    def _compare(self, inbox: InboxState, asks: watch.Asks, changed: bool) -> bool:
        """Declare a sync when the inbox holds mail the database lacks (a few times per state: a sync
        already running when it came may have missed it) or when something else changed. True while
        the watcher should look again soon."""
        pending = watch.inbox_behind(self.target.account_id, inbox) and asks.allow(inbox)
        if pending or changed:
            self._ask_sync("new mail" if pending else "mailbox changed")
        return pending


def _close(conn: imap.ImapSession) -> None:
    """Sign out without letting a silent server hold the thread for the whole mail timeout."""
    try:
        conn.client.sock.settimeout(2)
    except OSError:  # noqa: S110  (already closed)
        pass
    conn.close()
