"""Writing synced messages: one chunk per transaction, idempotent by Message-ID and UID."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.document import Document
from openfyxer.models.email import Email, EmailLocation
from openfyxer.services.mail.mime import ParsedMessage

# When one message sits in several folders, the one it is shown under.
ROLE_ORDER = ("inbox", "sent", "archive", "junk", "trash", "drafts", "other")


@dataclass(frozen=True)
class Fetched:
    uid: int
    flags: tuple[str, ...]
    raw: bytes
    parsed: ParsedMessage


def best_role(roles: Iterable[str]) -> str | None:
    roles = set(roles)
    return next((r for r in ROLE_ORDER if r in roles), None)


def save_blob(data: bytes, sha256: str) -> str:
    """Store attachment bytes by content hash (written once, shared by identical files)."""
    rel = Path("attachments") / sha256[:2] / sha256
    path = get_settings().data_dir / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a crash leaves a whole file or none
    return str(rel)


def _new_email(account: EmailAccount, folder: MailFolder, item: Fetched) -> Email:
    p = item.parsed
    return Email(
        account_id=account.id, message_id=p.message_id, thread_id=p.thread_id, in_reply_to=p.in_reply_to,
        references=p.references, subject=p.subject, sender=p.sender[:255] or None, sender_name=p.sender_name[:255] or None,
        recipients=p.to, cc=p.cc, reply_to=p.reply_to, body_text=p.body_text, body_html=p.body_html,
        has_remote_images=p.has_remote_images, has_attachments=bool(p.attachments),
        is_read="\\Seen" in item.flags, starred="\\Flagged" in item.flags, folder_role=folder.role,
        list_unsubscribe=p.list_unsubscribe, list_unsubscribe_one_click=p.list_unsubscribe_one_click,
        list_id=(p.list_id or "")[:255] or None,
        precedence=(p.precedence or "")[:50] or None, auto_submitted=(p.auto_submitted or "")[:50] or None,
        size=p.size, parse_error=p.parse_error, raw=item.raw if p.parse_error else None, received_at=p.date,
        sent_utc_offset=p.date_offset_minutes,
    )


def participants(email: Email, own: str) -> set[str]:
    """Who else takes part in a message: sender, recipients and copies, the user's own address aside."""
    return {a.lower() for a in [email.sender, *(email.recipients or []), *(email.cc or [])] if a} - {own.lower()}


def _join_thread_or_not(session: Session, account: EmailAccount, email: Email, batch: list[Email]) -> None:
    """A message joins the thread its References / In-Reply-To name only if it shares someone (besides
    the user) with a message it refers to that is here: those headers are the sender's to write, and a
    stranger who learned one Message-ID of a private conversation must not become part of it."""
    if email.thread_id == email.message_id:
        return
    named = {*(email.references or []), *([email.in_reply_to] if email.in_reply_to else [])}
    named.discard(email.message_id)
    if not named:
        return
    referred = [e for e in batch if e.message_id in named and e is not email]
    referred += session.exec(select(Email).where(Email.account_id == account.id, Email.message_id.in_(named))).all()
    people = participants(email, account.email_address)
    if referred and not any(people & participants(r, account.email_address) for r in referred):
        email.thread_id = email.message_id


def _attachments(account: EmailAccount, email_id: uuid.UUID, parsed: ParsedMessage) -> list[Document]:
    docs = []
    for a in parsed.attachments:
        docs.append(Document(
            user_id=account.user_id, email_id=email_id, filename=a.filename[:255], file_type=a.content_type[:255],
            file_size=a.size, sha256=a.sha256, content_id=(a.content_id or "")[:255] or None,
            storage_path=save_blob(a.data, a.sha256) if a.data is not None and not a.truncated else None,
        ))
    return docs


def store_chunk(session: Session, *, account: EmailAccount, folder: MailFolder, uidvalidity: int,
                items: list[Fetched]) -> tuple[int, list[uuid.UUID]]:
    """Add the chunk's messages and their locations; returns (new emails, their ids).

    A Message-ID already stored for this account (same mail in another folder, or a re-fetch
    after a crash or a UIDVALIDITY change) gets a new location, not a second email.
    """
    ids = list({i.parsed.message_id for i in items})
    known = dict(session.exec(select(Email.message_id, Email.id).where(
        Email.account_id == account.id, Email.message_id.in_(ids))).all())
    existing_locs = set(session.exec(select(EmailLocation.uid).where(
        EmailLocation.folder_id == folder.id, EmailLocation.uidvalidity == uidvalidity,
        EmailLocation.uid.in_([i.uid for i in items]))).all())
    new_ids, touched = [], set()
    emails, children = [], []
    for item in items:
        if item.uid in existing_locs:
            continue
        email_id = known.get(item.parsed.message_id)
        if email_id is None:
            email = _new_email(account, folder, item)
            emails.append(email)
            children.extend(_attachments(account, email.id, item.parsed))
            email_id = known[item.parsed.message_id] = email.id
            new_ids.append(email_id)
        else:
            touched.add(email_id)
        children.append(EmailLocation(account_id=account.id, folder_id=folder.id, email_id=email_id,
                                      uidvalidity=uidvalidity, uid=item.uid, flags=list(item.flags)))
        existing_locs.add(item.uid)
    for email in emails:
        _join_thread_or_not(session, account, email, emails)
    # Parents first: without ORM relationships the unit of work does not order by foreign key.
    session.add_all(emails)
    session.flush()
    session.add_all(children)
    session.flush()
    refresh_emails(session, touched)
    return len(new_ids), new_ids


def refresh_emails(session: Session, email_ids: Iterable[uuid.UUID], *, stars: bool = True) -> None:
    """Re-derive folder role, read state and (`stars`: IMAP's \\Flagged; Exchange's flags are not
    synced) the star from where each message now is on the server."""
    email_ids = list(email_ids)
    if not email_ids:
        return
    # A change the user made here that the server has not been told of yet is theirs until it is
    # (services/mail/inbox.py mirrors it); a snoozed message sits in a folder sync does not read.
    held = set(session.exec(select(Email.id).where(Email.id.in_(email_ids), or_(
        Email.mirror_pending_at.is_not(None), Email.snoozed_until.is_not(None)))).all())
    rows = session.exec(
        select(EmailLocation.email_id, MailFolder.role, EmailLocation.flags)
        .join(MailFolder, MailFolder.id == EmailLocation.folder_id)
        .where(EmailLocation.email_id.in_(email_ids))
    ).all()
    where: dict[uuid.UUID, list[tuple[str, list[str]]]] = {e: [] for e in email_ids if e not in held}
    for email_id, role, flags in rows:
        if email_id in where:
            where[email_id].append((role, flags or []))
    for email_id, places in where.items():
        values: dict = {"folder_role": best_role(r for r, _ in places)}
        if places:
            values["is_read"] = any("\\Seen" in f for _, f in places)
            if stars:
                values["starred"] = any("\\Flagged" in f for _, f in places)
        session.execute(update(Email).where(Email.id == email_id).values(**values))


def drop_locations(session: Session, *, folder: MailFolder, uids: Iterable[int] | None = None) -> list[uuid.UUID]:
    """Forget messages that left a folder (or all of its locations); returns the emails affected."""
    q = select(EmailLocation.id, EmailLocation.email_id).where(EmailLocation.folder_id == folder.id)
    if uids is not None:
        q = q.where(EmailLocation.uid.in_(list(uids)))
    rows = session.exec(q).all()
    if rows:
        session.execute(delete(EmailLocation).where(EmailLocation.id.in_([r[0] for r in rows])))
    return list({r[1] for r in rows})
