"""IMAP IDLE (RFC 2177) on Python 3.11's imaplib, which has no idle(), and the STATUS poll for
servers without it.

`Idle` wraps a signed-in `imap.ImapSession`: `wait()` enters IDLE on the selected folder and
returns when the server reports a change (EXISTS, RECENT, EXPUNGE, FETCH) or the time is up,
always ending with DONE and the tagged OK, so the connection can be used again. Another thread may
end a wait early (`done()`, the polite way) or tear the connection down (`interrupt()`, for a
server that no longer answers).
"""

from __future__ import annotations

import imaplib
import socket
import threading
from dataclasses import dataclass

from openfyxer.integrations.imap import ImapError, ImapSession, _why

CHANGES = ("EXISTS", "RECENT", "EXPUNGE", "FETCH")
_STATUS_ITEM = {"UIDVALIDITY", "UIDNEXT", "MESSAGES", "HIGHESTMODSEQ"}


@dataclass(frozen=True)
class InboxState:
    uidvalidity: int
    uidnext: int
    messages: int
    highest_modseq: int | None = None


class Idle:
    """IDLE and STATUS on one connection. One thread waits; any thread may call done() or interrupt()."""

    def __init__(self, conn: ImapSession):
        self.conn = conn
        self.client: imaplib.IMAP4 = conn.client
        self.supported = "IDLE" in conn.capabilities
        self._lock = threading.Lock()
        self._tag: bytes | None = None  # set while in IDLE and DONE not yet sent
        self._accepted = False  # the server answered IDLE with its continuation
        self._want_done = False  # done() came before that continuation

    def examine_inbox(self) -> InboxState:
        """Open INBOX read-only: IDLE reports changes of the selected folder."""
        state = self.conn.select("INBOX", readonly=True)
        return InboxState(state.uidvalidity, state.uidnext, state.exists, state.highest_modseq)

    def status_inbox(self) -> InboxState:
        """INBOX's counters without selecting it (the poll of servers without IDLE)."""
        items = "(UIDVALIDITY UIDNEXT MESSAGES" + (" HIGHESTMODSEQ)" if self.conn.condstore else ")")
        data = self.conn._cmd("STATUS", "INBOX", items)  # noqa: SLF001  (the session's error wrapping)
        blob = b" ".join(d for d in data if isinstance(d, bytes))
        words = blob.decode("ascii", "replace").replace("(", " ").replace(")", " ").split()
        found = {k.upper(): int(v) for k, v in zip(words, words[1:], strict=False)
                 if k.upper() in _STATUS_ITEM and v.isdigit()}
        if "UIDVALIDITY" not in found:
            raise ImapError("the server's STATUS of INBOX gave no UIDVALIDITY")
        return InboxState(found["UIDVALIDITY"], found.get("UIDNEXT", 0), found.get("MESSAGES", 0),
                          found.get("HIGHESTMODSEQ"))

    def wait(self, timeout_s: float, cancel: threading.Event | None = None) -> set[str]:
        """IDLE until the selected folder changes, `timeout_s` passes or `cancel` is set (then call
        done()); the kinds of change seen (empty: none). Raises ImapError when the server refuses
        IDLE or the connection fails."""
        for name in (*CHANGES, "BYE"):
            self.client.untagged_responses.pop(name, None)  # what SELECT left is not news
        sock = self.client.sock
        previous = sock.gettimeout()
        # Silence is the normal state here: the read may block the whole wait, plus the time the
        # server is allowed to take to answer DONE.
        sock.settimeout(timeout_s + (previous or self.conn.cfg.timeout))
        timer = threading.Timer(timeout_s, self.done)
        timer.daemon = True
        try:
            with self._lock:
                tag = self._tag = self.client._new_tag()  # noqa: SLF001
                self._accepted = False
                # Checked under the lock done() takes: a cancel set just before IDLE is not lost.
                self._want_done = cancel is not None and cancel.is_set()
                self.client.send(tag + b" IDLE\r\n")
            timer.start()
            return self._read_until_tagged(tag)
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as e:
            raise ImapError(f"IMAP IDLE failed: {_why(e)}") from e
        finally:
            timer.cancel()
            with self._lock:
                self._tag = None
            try:
                sock.settimeout(previous)
            except OSError:  # closed under us by interrupt()
                pass

    def _read_until_tagged(self, tag: bytes) -> set[str]:
        seen: set[str] = set()
        while self.client.tagged_commands.get(tag) is None:
            if self.client._get_response() is None:  # noqa: SLF001  (a continuation: "+ idling")
                with self._lock:
                    self._accepted = True
                    if self._want_done or seen:  # DONE only once the server is idling (RFC 2177)
                        self._send_done()
                continue
            untagged = self.client.untagged_responses
            if "BYE" in untagged:
                raise imaplib.IMAP4.abort("BYE")
            news = {name for name in CHANGES if untagged.pop(name, None)}
            if news:
                seen |= news
                self.done()  # one change is enough to sync; the caller comes back for the next
        typ, _ = self.client.tagged_commands.pop(tag)
        if typ != "OK":
            raise ImapError(f"IMAP IDLE answered {typ}")
        return seen

    def done(self) -> None:
        """End the current IDLE (from any thread); nothing when not idling."""
        with self._lock:
            if self._tag is None:
                return
            if self._accepted:
                self._send_done()
            else:
                self._want_done = True

    def _send_done(self) -> None:
        """Called with the lock held, at most once per IDLE."""
        if self._tag is None or not self._accepted:
            return
        self._tag = None
        try:
            self.client.send(b"DONE\r\n")
        except OSError:  # the reader learns of a dead connection by itself
            pass

    def interrupt(self) -> None:
        """Tear the connection down under a blocked reader, which then fails at once (from any thread).
        socket.socket's own shutdown: an SSL socket's would drop its TLS state under the reader."""
        sock = getattr(self.client, "sock", None)
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:  # already closed
                pass
