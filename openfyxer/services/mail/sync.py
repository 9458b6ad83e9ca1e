"""Incremental, crash-safe mailbox sync.

Per folder the server's UIDVALIDITY, UIDs and (with CONDSTORE) HIGHESTMODSEQ are compared with
what is stored. New messages are fetched, parsed and stored a chunk at a time, each chunk in
one transaction together with its locations, so a sync killed at any point resumes where the
last committed chunk ended and never stores a message twice. A sync that finds nothing new
writes no mail data.

This service opens its own units of work (one per chunk) rather than taking a session: a long
sync must commit as it goes.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.core.later import later
from openfyxer.integrations import imap
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.email import EmailLocation
from openfyxer.services.mail import mailstore, mime, parsing, sync_ews
from openfyxer.services.mail.mailbox import open_mailbox
from openfyxer.services.notify import events as notify_events

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    new: int = 0
    located: int = 0
    removed: int = 0
    flag_changes: int = 0
    parse_errors: int = 0
    folders: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    folder: imap.Folder
    state: imap.FolderState
    row_id: uuid.UUID
    new_uids: list[int]


def _upsert_folder(session: Session, account_id: uuid.UUID, f: imap.Folder) -> MailFolder:
    row = session.exec(select(MailFolder).where(MailFolder.account_id == account_id, MailFolder.name == f.name)).first()
    if row is None:
        row = MailFolder(account_id=account_id, name=f.name, role=f.role)
        session.add(row)
        session.flush()
    elif row.role != f.role:
        row.role = f.role
    return row


def _failed(account_id: uuid.UUID, message: str) -> None:
    with session_scope() as s:
        s.execute(update(EmailAccount).where(EmailAccount.id == account_id).values(sync_state="error",
                                                                                   sync_error=message))
        account = s.get(EmailAccount, account_id)
        if account is not None:
            notify_events.sync_failing(s, account=account, error=message)


def _set_progress(account_id: uuid.UUID, **values) -> None:  # noqa: ANN003
    with session_scope() as s:
        s.execute(update(EmailAccount).where(EmailAccount.id == account_id).values(**values))


def _reconcile(conn: imap.ImapSession, account: EmailAccount, f: imap.Folder, result: SyncResult) -> _Plan:
    """Bring stored locations in line with the folder (UIDVALIDITY, expunges, flags) and list new UIDs."""
    state = conn.select(f.name)
    server_uids = conn.uids()
    with session_scope() as s:
        row = _upsert_folder(s, account.id, f)
        affected: set[uuid.UUID] = set()
        if row.uidvalidity is not None and row.uidvalidity != state.uidvalidity:
            log.warning("UIDVALIDITY of %s changed: re-matching by Message-ID", f.name)
            affected |= set(mailstore.drop_locations(s, folder=row))
            affected |= _rematch(s, conn, account, row, state.uidvalidity, server_uids, result)
            row.highest_modseq = None
        if row.uidvalidity != state.uidvalidity:
            row.uidvalidity = state.uidvalidity
        known = dict(s.exec(select(EmailLocation.uid, EmailLocation.flags).where(
            EmailLocation.folder_id == row.id, EmailLocation.uidvalidity == state.uidvalidity)).all())
        gone = set(known) - set(server_uids)
        if gone:
            affected |= set(mailstore.drop_locations(s, folder=row, uids=gone))
            result.removed += len(gone)
        affected |= _apply_flag_changes(s, conn, row, state, known, gone, result)
        mailstore.refresh_emails(s, affected)
        if state.highest_modseq is not None and row.highest_modseq != state.highest_modseq:
            row.highest_modseq = state.highest_modseq
        if s.dirty or s.new or affected:
            row.last_synced_at = datetime.now(UTC)
        new_uids = sorted(set(server_uids) - set(known))
        return _Plan(folder=f, state=state, row_id=row.id, new_uids=new_uids)


def _apply_flag_changes(s: Session, conn: imap.ImapSession, row: MailFolder, state: imap.FolderState,
                        known: dict[int, list[str]], gone: set[int], result: SyncResult) -> set[uuid.UUID]:
    if not known:
        return set()
    if conn.condstore and row.highest_modseq is not None:
        if state.highest_modseq == row.highest_modseq:
            return set()  # nothing changed in this folder since last time
        server = conn.flags("1:*", changed_since=row.highest_modseq)
    else:
        server = conn.flags("1:*")
    changed = {u: f for u, f in server.items() if u in known and u not in gone and sorted(known[u] or []) != list(f)}
    affected = set()
    for uid, flags in changed.items():
        loc = s.exec(select(EmailLocation).where(EmailLocation.folder_id == row.id,
                                                 EmailLocation.uidvalidity == state.uidvalidity,
                                                 EmailLocation.uid == uid)).one()
        loc.flags = list(flags)
        affected.add(loc.email_id)
    result.flag_changes += len(changed)
    return affected


def _rematch(s: Session, conn: imap.ImapSession, account: EmailAccount, row: MailFolder, uidvalidity: int,
             server_uids: list[int], result: SyncResult) -> set[uuid.UUID]:
    """After a UIDVALIDITY change, point stored messages at their new UIDs instead of re-fetching them."""
    from openfyxer.models.email import Email

    ids = {u: mime.normalise_message_id(m) for u, m in conn.message_ids(server_uids).items()}
    stored = dict(s.exec(select(Email.message_id, Email.id).where(
        Email.account_id == account.id, Email.message_id.in_([m for m in ids.values() if m]))).all())
    flags = conn.flags("1:*") if ids else {}
    affected = set()
    for uid, mid in ids.items():
        if mid in stored:
            s.add(EmailLocation(account_id=account.id, folder_id=row.id, email_id=stored[mid],
                                uidvalidity=uidvalidity, uid=uid, flags=list(flags.get(uid, ()))))
            affected.add(stored[mid])
            result.located += 1
    s.flush()
    return affected


def _fetch_new(conn: imap.ImapSession, account: EmailAccount, plan: _Plan, result: SyncResult, done: int) -> int:
    """Fetch, parse and store the folder's new messages, a chunk per transaction, in UID order.

    Parsing is CPU-bound and pure, so on a large first sync it runs in worker processes while
    this thread fetches the next chunk and stores the previous one.
    """
    conn.select(plan.folder.name)
    limit = get_settings().max_attachment_mb * 1024 * 1024
    pool = parsing.pool_for(len(plan.new_uids))
    size = get_settings().sync_chunk_size
    pending: deque = deque()

    def store(chunk: list[tuple[int, tuple[str, ...], bytes]], parsed: list[mime.ParsedMessage], done: int) -> int:
        items = [mailstore.Fetched(uid, flags, raw, p) for (uid, flags, raw), p in zip(chunk, parsed, strict=True)]
        with session_scope() as s:
            row = s.get(MailFolder, plan.row_id)
            acct = s.get(EmailAccount, account.id)
            n, _ = mailstore.store_chunk(s, account=acct, folder=row, uidvalidity=plan.state.uidvalidity, items=items)
            row.last_uid = max(row.last_uid, max(i.uid for i in items))
            row.last_synced_at = datetime.now(UTC)
            done += len(items)
            acct.sync_done = done
        result.new += n
        result.parse_errors += sum(1 for p in parsed if p.parse_error)
        return done

    chunk: list[tuple[int, tuple[str, ...], bytes]] = []
    for fetched in conn.fetch(plan.new_uids, batch=size):
        chunk.append(fetched)
        if len(chunk) >= size:
            pending.append((chunk, parsing.submit(pool, [raw for _, _, raw in chunk], limit)))
            chunk = []
            # Keep the workers busy but the memory bounded: store the oldest chunk once parsed.
            while len(pending) > parsing.AHEAD:
                done = store(pending[0][0], pending.popleft()[1].result(), done)
    if chunk:
        pending.append((chunk, parsing.submit(pool, [raw for _, _, raw in chunk], limit)))
    while pending:
        done = store(pending[0][0], pending.popleft()[1].result(), done)
    result.folders[plan.folder.name] = len(plan.new_uids)
    return done


def sync_account(*, account_id: uuid.UUID) -> SyncResult:
    """Sync INBOX, Sent and the other special-use folders of one account (IMAP or Exchange); new
    mail is then processed in a job of its own."""
    with session_scope() as s:
        account = s.get(EmailAccount, account_id)
        if account is None or not account.is_active:
            return SyncResult()
        mailbox = open_mailbox(s, account)
    result = SyncResult()
    _set_progress(account_id, sync_state="running", sync_error=None, sync_done=0, sync_total=0)
    try:
        # The two sync algorithms share no shape (IMAP UIDs / MODSEQ vs EWS SyncFolderItems states).
        if mailbox.kind == "exchange":
            sync_ews.sync_exchange(account, mailbox.ews_cfg, result)
        else:
            _sync_imap(account, mailbox.imap_cfg, result)
    except OpenFyxerError as e:
        _failed(account_id, e.message)
        raise
    except Exception as e:
        _failed(account_id, f"{type(e).__name__}: {e}")
        raise
    with session_scope() as s:
        s.execute(update(EmailAccount).where(EmailAccount.id == account_id)
                  .values(sync_state="idle", last_sync=datetime.now(UTC)))
        if result.new:
            later(s, "process_account", account_id, owner=account.user_id)  # triage, drafts and indexing of what arrived
    return result


def _sync_imap(account: EmailAccount, cfg: imap.ImapConfig, result: SyncResult) -> None:
    with imap.ImapSession(cfg) as conn:
        folders = [f for f in conn.folders() if f.role in imap.SYNC_ROLES]
        plans = [_reconcile(conn, account, f, result) for f in folders]
        _set_progress(account.id, sync_total=sum(len(p.new_uids) for p in plans))
        done = 0
        for plan in plans:
            if plan.new_uids:
                done = _fetch_new(conn, account, plan, result, done)
