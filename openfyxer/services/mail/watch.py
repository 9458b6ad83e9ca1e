"""What the mailbox watchers (`watchers.py`) decide: which accounts to watch and how, the settings
each connection signs in with, whether the inbox holds mail the database does not, and the sync
they declare.

A watcher never syncs by itself: it declares the same `sync_account` job the periodic sync does, so
new mail is synced, sorted and drafted for exactly as before, and the job's deterministic id makes a
burst of signals one sync.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.later import later
from openfyxer.integrations import imap
from openfyxer.integrations.imap_idle import InboxState
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.services import ephemeral
from openfyxer.services.mail.mailbox import mailbox_for, open_mailbox

log = logging.getLogger(__name__)
_SHOWN = "mail-watch"

# How many times one inbox state (UIDVALIDITY, UIDNEXT) may ask for a sync: a message deleted before
# the sync fetched it leaves the database "behind" for good, and that must not mean a sync a minute.
MAX_ASKS_PER_STATE = 3


@dataclass(frozen=True)
class Target:
    """One account to watch: `kind` is "imap" (IDLE, or STATUS polls) or "exchange" (timed syncs)."""

    account_id: uuid.UUID
    user_id: uuid.UUID
    kind: str


def targets() -> dict[uuid.UUID, Target]:
    """The active accounts, each with the way it is watched."""
    with session_scope() as s:
        rows = s.exec(select(EmailAccount).where(EmailAccount.is_active)).all()
        # mailbox_for without a token only builds settings: the protocol switch stays in one place.
        return {a.id: Target(a.id, a.user_id, mailbox_for(a).kind) for a in rows}


def imap_config(account_id: uuid.UUID) -> imap.ImapConfig | None:
    """The settings a new connection signs in with, from the same place the sync takes them, so an
    OAuth token is refreshed (and stored) before each connection. None: the account is gone or paused."""
    with session_scope() as s:
        account = s.get(EmailAccount, account_id)
        if account is None or not account.is_active:
            return None
        mailbox = open_mailbox(s, account)
        return getattr(mailbox, "imap_cfg", None)


def request_sync(target: Target) -> str:
    """Declare the account's sync (committed at once, so the job layer queues it)."""
    with session_scope() as s:
        return later(s, "sync_account", target.account_id, owner=target.user_id)


def inbox_behind(account_id: uuid.UUID, state: InboxState) -> bool:
    """Does the server's INBOX hold a UID the database has not stored (or a new UIDVALIDITY)?"""
    with session_scope() as s:
        row = s.exec(select(MailFolder.uidvalidity, MailFolder.last_uid).where(
            MailFolder.account_id == account_id, MailFolder.role == "inbox")).first()
    if row is None:
        return state.messages > 0 or state.uidnext > 1  # never synced: anything there is new
    uidvalidity, last_uid = row
    return uidvalidity != state.uidvalidity or state.uidnext - 1 > last_uid


class Asks:
    """Counts the syncs asked for one inbox state (see MAX_ASKS_PER_STATE)."""

    def __init__(self) -> None:
        self._key: tuple[int, int] | None = None
        self._count = 0

    def allow(self, state: InboxState) -> bool:
        key = (state.uidvalidity, state.uidnext)
        if key != self._key:
            self._key, self._count = key, 0
        self._count += 1
        return self._count <= MAX_ASKS_PER_STATE


class Backoff:
    """Exponential backoff with jitter: base, 2 x base, ... capped; each delay drawn from its upper
    half, so many watchers failing together spread out and none ever retries at once."""

    def __init__(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        settings = get_settings()
        self.failures += 1
        ceiling = min(settings.idle_backoff_max_seconds,
                      settings.idle_backoff_base_seconds * 2 ** min(self.failures - 1, 30))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311  (spreading retries, not a secret)

    def reset(self) -> None:
        self.failures = 0


def publish(account_id: uuid.UUID, state: object) -> None:
    """Say what the account's watcher is doing, for the Settings page. In Redis when configured (the
    watchers then run in the scheduler, another process), else in this process's memory (the embedded
    app runs them itself). It lives a little longer than the longest wait between two reports, so a
    watcher that is gone stops being shown as watching."""
    s = get_settings()
    ttl = int(2 * max(s.idle_refresh_seconds, s.idle_poll_seconds, s.idle_exchange_poll_seconds,
                      s.idle_backoff_max_seconds)) + 60
    values = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(state).items()}
    try:
        ephemeral.put(_SHOWN, str(account_id), json.dumps(values), ttl)
    except Exception:  # noqa: BLE001 (Redis away: the watcher goes on; only the page lacks its state)
        log.debug("account %s: could not publish the watcher's state", account_id, exc_info=True)


def published(account_id: uuid.UUID) -> dict | None:
    """The last state the account's watcher reported, or None when no watcher has reported lately."""
    try:
        value = ephemeral.get(_SHOWN, str(account_id))
    except Exception:  # noqa: BLE001
        log.debug("could not read the watcher's state", exc_info=True)
        return None
    return json.loads(value) if value else None
