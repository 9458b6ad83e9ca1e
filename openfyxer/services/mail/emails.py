"""Reading the user's mail: filtered lists, one message with its thread, and changes to it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from openfyxer.core.errors import NotFound
from openfyxer.core.later import later
from openfyxer.core.textfold import fold, folded
from openfyxer.models.account import EmailAccount
from openfyxer.models.document import Document
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.models.email_api import AttachmentInfo, EmailDetail, EmailSummary, EmailUpdate
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.mail import drafts
from openfyxer.services.mail.accounts import owned_ids
from openfyxer.services.mail.html_clean import sanitize_html

SNIPPET = 160


def summary(e: Email) -> EmailSummary:
    text = " ".join((e.body_text or "").split())
    return EmailSummary.model_validate({**e.model_dump(exclude={"raw"}), "snippet": text[:SNIPPET]})


def _like(words: str) -> str:
    """A LIKE pattern for text as the user typed it, folded, its wildcards taken literally."""
    text = fold(words.strip()).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"


def _owned(user: User):  # noqa: ANN202
    return owned_ids(user.id)


def _awaiting_reply():  # noqa: ANN202
    """Not marked done, and unread or read with no reply from the user: none in Sent answering it (or later in its thread),
    no draft for it approved or sent."""
    sent = aliased(Email)
    replied = exists().where(sent.account_id == Email.account_id, sent.folder_role == "sent",
                             or_(sent.in_reply_to == Email.message_id,
                                 and_(sent.thread_id == Email.thread_id, sent.received_at > Email.received_at)))
    drafted = exists().where(Draft.email_id == Email.id, Draft.status.in_(("approved", "sending", "sent")))
    return and_(Email.done_at.is_(None), or_(Email.is_read.is_(False), and_(~replied, ~drafted)))


def list_emails(session: Session, *, user: User, category: str | None = None, account_id: uuid.UUID | None = None,
                is_read: bool | None = None, thread_id: str | None = None, q: str | None = None,
                folder: str | None = "inbox", limit: int = 50, offset: int = 0,
                categories: Sequence[str] | None = None, exclude_categories: Sequence[str] | None = None,
                sender: str | None = None,
                received_after: datetime | None = None, received_before: datetime | None = None,
                awaiting_reply: bool = False, starred: bool | None = None) -> tuple[list[EmailSummary], int]:
    """The user's mail, newest first. `folder=None` searches every folder; `sender` is found in the
    sender's address or name; `awaiting_reply` keeps mail that is unread or not answered yet."""
    where = [Email.account_id.in_(_owned(user))]
    if category:
        where.append(Email.category == category)
    if categories is not None:
        where.append(Email.category.in_(list(categories)))
    if exclude_categories:
        where.append(or_(Email.category.is_(None), Email.category.not_in(list(exclude_categories))))
    if sender and sender.strip():
        like = _like(sender)
        where.append(or_(folded(Email.sender).like(like, escape="\\"),
                         folded(Email.sender_name).like(like, escape="\\")))
    if received_after is not None:
        where.append(Email.received_at >= received_after)
    if received_before is not None:
        where.append(Email.received_at < received_before)
    if awaiting_reply:
        where.append(_awaiting_reply())
    if starred is not None:
        where.append(Email.starred.is_(starred))
    if account_id:
        where.append(Email.account_id == account_id)
    if is_read is not None:
        where.append(Email.is_read == is_read)
    if thread_id:
        where.append(Email.thread_id == thread_id)
    if folder:
        where.append(Email.folder_role == folder)
    if q:
        like = _like(q)  # "sedinte" finds "ședințe": case and diacritics are ignored on both sides
        where.append(or_(*(folded(c).like(like, escape="\\") for c in (Email.subject, Email.sender,
                                                                        Email.sender_name, Email.body_text))))
    total = session.exec(select(func.count()).select_from(Email).where(*where)).one()
    rows = session.exec(select(Email).where(*where)
                        .order_by(Email.received_at.desc().nulls_last(), Email.id).limit(limit).offset(offset)).all()
    return [summary(e) for e in rows], int(total)


def category_counts(session: Session, *, user: User, account_id: uuid.UUID | None = None,
                    folder: str | None = "inbox") -> dict[str, dict[str, int]]:
    """Per category: {"total": n, "unread": n}; mail not sorted yet counts under "unsorted"."""
    where = [Email.account_id.in_(_owned(user))]
    if account_id:
        where.append(Email.account_id == account_id)
    if folder:
        where.append(Email.folder_role == folder)
    rows = session.exec(select(Email.category, Email.is_read, func.count()).where(*where)
                        .group_by(Email.category, Email.is_read)).all()
    out: dict[str, dict[str, int]] = {}
    for category, is_read, n in rows:
        bucket = out.setdefault(category or "unsorted", {"total": 0, "unread": 0})
        bucket["total"] += n
        bucket["unread"] += 0 if is_read else n
    return out


def daily_counts(session: Session, *, user: User, days: int = 14, now: datetime | None = None,
                 folder: str | None = "inbox") -> list[dict]:
    """Mail received per day and category over the last `days` days (UTC), oldest first:
    [{"day": "2026-11-27", "urgent": 1, "to_respond": 3, ...}], every day present."""
    now = now or datetime.now(UTC)
    first = (now - timedelta(days=days - 1)).date()
    where = [Email.account_id.in_(_owned(user)), Email.received_at >= datetime.combine(first, time.min, UTC)]
    if folder:
        where.append(Email.folder_role == folder)
    out = {(first + timedelta(days=i)).isoformat(): {} for i in range(days)}
    # Grouped in Python: the dates of a few weeks of mail are cheap, and day truncation is spelled
    # differently by SQLite and PostgreSQL.
    for received, category in session.exec(select(Email.received_at, Email.category).where(*where)).all():
        day = out.get(received.astimezone(UTC).date().isoformat())
        if day is not None:
            key = category or "unsorted"
            day[key] = day.get(key, 0) + 1
    return [{"day": day, **counts} for day, counts in out.items()]


def get_owned(session: Session, *, user: User, email_id: uuid.UUID) -> Email:
    email = session.get(Email, email_id)
    if email is None or session.get(EmailAccount, email.account_id).user_id != user.id:
        raise NotFound("no such email")
    return email


def get_email(session: Session, *, user: User, email_id: uuid.UUID, allow_images: bool = False) -> EmailDetail:
    """One message: its HTML sanitised again on the way out, remote images blocked unless allowed."""
    e = get_owned(session, user=user, email_id=email_id)
    thread = []
    if e.thread_id:
        thread = session.exec(select(Email).where(Email.account_id == e.account_id, Email.thread_id == e.thread_id)
                              .order_by(Email.received_at.asc().nulls_first(), Email.created_at)).all()
    docs = session.exec(select(Document).where(Document.email_id == e.id)).all()
    base = summary(e).model_dump()
    return EmailDetail(
        **base, message_id=e.message_id, recipients=e.recipients, cc=e.cc, reply_to=e.reply_to, body_text=e.body_text,
        body_html=sanitize_html(e.body_html, allow_remote_images=allow_images) if e.body_html else None,
        has_remote_images=e.has_remote_images, images_allowed=allow_images and e.has_remote_images,
        parse_error=e.parse_error,
        attachments=[AttachmentInfo(id=d.id, filename=d.filename, content_type=d.file_type, size=d.file_size,
                                    saved=d.storage_path is not None) for d in docs],
        thread=[summary(t) for t in thread],
    )


def update_email(session: Session, *, user: User, email_id: uuid.UUID, data: EmailUpdate,
                 ip: str | None = None) -> Email:
    """Apply a category correction and/or read state; a read-state change is pushed to the mail server."""
    from openfyxer.services.assistant import triage  # the triage learns from corrections

    e = get_owned(session, user=user, email_id=email_id)
    changes = data.model_dump(exclude_unset=True)
    read_changed = "is_read" in changes and changes["is_read"] is not None and changes["is_read"] != e.is_read
    if changes.get("category") and changes["category"] != e.category:
        triage.correct(session, user=user, email=e, category=changes["category"])
        if changes["category"] not in ("urgent", "to_respond"):  # moved to FYI, newsletters or spam: no reply
            drafts.withdraw_for(session, user=user, email_ids=[e.id], ip=ip)
    if read_changed:
        e.is_read = changes["is_read"]
    session.add(e)
    session.flush()
    audit.record(session, action="email.update", user_id=user.id, entity_type="email", entity_id=e.id,
                 details={k: v for k, v in changes.items() if v is not None}, ip=ip)
    if read_changed:
        later(session, "push_read_state", e.id, owner=user.id)
    return e


def update_emails(session: Session, *, user: User, email_ids: list[uuid.UUID], data: EmailUpdate,
                  ip: str | None = None) -> list[Email]:
    """The same change to several messages (the inbox's bulk actions), in one unit of work."""
    return [update_email(session, user=user, email_id=i, data=data, ip=ip) for i in email_ids]


def open_email(session: Session, *, user: User, email_id: uuid.UUID, allow_images: bool = False,
               ip: str | None = None) -> EmailDetail:
    """The message as the user opens it: marked read (here and on the server) if it was not."""
    if not get_owned(session, user=user, email_id=email_id).is_read:
        update_email(session, user=user, email_id=email_id, data=EmailUpdate(is_read=True), ip=ip)
    return get_email(session, user=user, email_id=email_id, allow_images=allow_images)


def bodies(session: Session, *, user: User, email_ids: list[uuid.UUID], limit: int = 4000) -> dict[str, str]:
    """Plain-text bodies (cut to `limit` characters) of the user's messages among `email_ids`, in one
    query: the dashboard keeps them for reading the last inbox offline."""
    if not email_ids:
        return {}
    rows = session.exec(select(Email.id, Email.body_text).where(Email.id.in_(email_ids),
                                                                Email.account_id.in_(_owned(user)))).all()
    return {str(i): (text or "")[:limit] for i, text in rows}
