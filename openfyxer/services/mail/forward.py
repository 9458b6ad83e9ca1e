"""Forwarding a message: a draft of the user's that passes it on, its attachments with it.

The draft starts with no recipient (the user names whom it goes to) and the forwarded message below
the user's own words, as mail clients write it. What the sender attached goes with it at sending
(outbox.build_message reads `attachments_of`); an attachment too large to have been kept at sync is
named in the draft's flags, so the user knows it will not go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.models.document import Document
from openfyxer.models.draft import Draft
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.mail.emails import get_owned

_PREFIXES = ("fwd:", "fw:", "tr:", "redirecționat:")


def subject(original: str | None) -> str:
    text = (original or "").strip()
    return text if text.lower().startswith(_PREFIXES) else f"Fwd: {text}".strip()


def forward(session: Session, *, user: User, email_id: uuid.UUID, ip: str | None = None) -> Draft:
    """A pending draft forwarding the user's message `email_id`, to whomever the user then names."""
    email = get_owned(session, user=user, email_id=email_id)
    when = email.received_at.strftime("%a, %d %b %Y %H:%M %Z") if email.received_at else ""
    sender = f"{email.sender_name} <{email.sender}>" if email.sender_name else (email.sender or "")
    quoted = "\n".join(["", "", "---------- Forwarded message ----------", f"From: {sender}", f"Date: {when}",
                        f"Subject: {email.subject or ''}", f"To: {', '.join(email.recipients or [])}", "",
                        email.body_text or ""])
    missing = [d.filename or "attachment" for d in _documents(session, email.id) if d.storage_path is None]
    draft = Draft(user_id=user.id, account_id=email.account_id, content=quoted, to_addresses=[], cc_addresses=[],
                  subject=subject(email.subject), forward_of=email.id, status="pending",
                  flags=[f"attachment_not_kept: {name}" for name in missing], created_at=datetime.now(UTC))
    session.add(draft)
    session.flush()
    audit.record(session, action="draft.forward", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"email_id": str(email.id)}, ip=ip)
    return draft


def _documents(session: Session, email_id: uuid.UUID) -> list[Document]:
    return list(session.exec(select(Document).where(Document.email_id == email_id)
                             .order_by(Document.created_at)).all())


def attach(session: Session, msg: EmailMessage, draft: Draft) -> None:
    """Add the forwarded message's kept attachments to the message being built, as they came."""
    for doc in _documents(session, draft.forward_of) if draft.forward_of else []:
        if doc.storage_path is None:
            continue
        path = get_settings().data_dir / doc.storage_path
        if not path.is_file():
            continue
        maintype, _, subtype = (doc.file_type or "application/octet-stream").partition("/")
        msg.add_attachment(path.read_bytes(), maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=doc.filename or "attachment")
