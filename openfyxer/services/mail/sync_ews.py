"""Exchange sync over EWS SyncFolderItems: each page of changes is stored in one transaction with
the sync state that produced it, so a killed sync resumes from the last stored page."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlmodel import select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.integrations import ews
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.email import EmailLocation
from openfyxer.services.mail import mailstore, mime

FOLDERS = (("inbox", "inbox"), ("sent", "sent"))
UIDVALIDITY = 1  # EWS item ids never renumber; one constant "validity" keeps the location key


def item_uid(item_id: str) -> int:
    """A stable 56-bit number for an EWS item id (locations are keyed by integer UIDs)."""
    return int.from_bytes(hashlib.sha256(item_id.encode()).digest()[:7], "big")


def _unexportable(item_id: str) -> mime.ParsedMessage:
    parsed = mime.parse_message(b"Subject: (Exchange could not export this message)\r\n\r\n")
    parsed.message_id = f"<{hashlib.sha256(item_id.encode()).hexdigest()}@exchange.invalid>"
    parsed.thread_id = parsed.message_id
    parsed.parse_error = "Exchange returned no MIME content for this item"
    return parsed


def _folder(account_id: uuid.UUID, name: str, role: str) -> uuid.UUID:
    with session_scope() as s:
        row = s.exec(select(MailFolder).where(MailFolder.account_id == account_id, MailFolder.name == name)).first()
        if row is None:
            row = MailFolder(account_id=account_id, name=name, role=role, uidvalidity=UIDVALIDITY)
            s.add(row)
            s.flush()
        return row.id


def _apply(account_id: uuid.UUID, folder_id: uuid.UUID, changes: list[ews.EwsChange], state: str, result) -> None:  # noqa: ANN001
    limit = get_settings().max_attachment_mb * 1024 * 1024
    with session_scope() as s:
        account, folder = s.get(EmailAccount, account_id), s.get(MailFolder, folder_id)
        new = [c for c in changes if c.kind == "new"]
        items = [mailstore.Fetched(item_uid(c.item_id), ("\\Seen",) if c.is_read else (), c.mime or b"",
                                   mime.parse_message(c.mime, max_attachment_bytes=limit) if c.mime
                                   else _unexportable(c.item_id)) for c in new]
        if items:
            n, _ = mailstore.store_chunk(s, account=account, folder=folder, uidvalidity=UIDVALIDITY, items=items)
            result.new += n
            result.parse_errors += sum(1 for i in items if i.parsed.parse_error)
        affected: set[uuid.UUID] = set()
        for c in changes:
            if c.kind == "read":
                loc = s.exec(select(EmailLocation).where(EmailLocation.folder_id == folder.id,
                                                         EmailLocation.uid == item_uid(c.item_id))).first()
                if loc is not None:
                    loc.flags = ["\\Seen"] if c.is_read else []
                    affected.add(loc.email_id)
                    result.flag_changes += 1
        gone = [item_uid(c.item_id) for c in changes if c.kind == "deleted"]
        if gone:
            affected |= set(mailstore.drop_locations(s, folder=folder, uids=gone))
            result.removed += len(gone)
        s.flush()
        mailstore.refresh_emails(s, affected, stars=False)
        folder.sync_token = state
        if changes:
            folder.last_synced_at = datetime.now(UTC)


def sync_exchange(account: EmailAccount, cfg: ews.EwsConfig, result) -> None:  # noqa: ANN001
    page = get_settings().sync_chunk_size
    for role, name in FOLDERS:
        folder_id = _folder(account.id, name, role)
        with session_scope() as s:
            state = s.get(MailFolder, folder_id).sync_token
        while True:
            try:
                changes, state, more = ews.sync_folder(cfg, name, state, max_changes=min(page, 512))
            except ews.EwsSyncStateInvalid:
                state = None  # Exchange forgot our place: start over; Message-IDs de-duplicate
                with session_scope() as s:
                    mailstore.drop_locations(s, folder=s.get(MailFolder, folder_id))
                continue
            _apply(account.id, folder_id, changes, state, result)
            if not more:
                break
