"""Drafts: written by hand or by the assistant, listed, edited and rejected by the user."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update as sa_update
from sqlmodel import Session, select

from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.models.draft import EDITABLE, Draft, DraftCreate, DraftUpdate
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.mail.accounts import get_account


def reply_subject(subject: str | None) -> str:
    s = (subject or "").strip()
    return s if s.lower().startswith(("re:", "re :", "ref:")) else f"Re: {s}".strip()


def create(session: Session, *, user: User, data: DraftCreate, llm_model: str | None = None,
           ip: str | None = None) -> Draft:
    """A draft for one of the user's accounts; as a reply it inherits recipients and threading."""
    account = get_account(session, user=user, account_id=data.account_id)
    draft = Draft(user_id=user.id, account_id=account.id, content=data.content, llm_model=llm_model,
                  to_addresses=[str(a).lower() for a in data.to], cc_addresses=[str(a).lower() for a in data.cc],
                  subject=data.subject)
    if data.email_id is not None:
        original = session.get(Email, data.email_id)
        if original is None or original.account_id != account.id:
            raise NotFound("no such email in that account")
        draft.email_id = original.id
        draft.in_reply_to = original.message_id
        draft.references = [*(original.references or []), original.message_id][-20:]
        draft.subject = data.subject or reply_subject(original.subject)
        if not draft.to_addresses:
            draft.to_addresses = list(original.reply_to or []) or ([original.sender] if original.sender else [])
    if not draft.to_addresses:
        raise ValidationError("a draft needs at least one recipient")
    session.add(draft)
    session.flush()
    audit.record(session, action="draft.create", user_id=user.id, entity_type="draft", entity_id=draft.id, ip=ip)
    return draft


def get(session: Session, *, user: User, draft_id: uuid.UUID) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None or draft.user_id != user.id:
        raise NotFound("no such draft")
    return draft


def list_drafts(session: Session, *, user: User, status: str | None = "pending", limit: int = 50,
                offset: int = 0, email_id: uuid.UUID | None = None) -> list[Draft]:
    q = select(Draft).where(Draft.user_id == user.id)
    if email_id:
        q = q.where(Draft.email_id == email_id)
    if status:
        q = q.where(Draft.status == status)
    return list(session.exec(q.order_by(Draft.created_at.desc()).limit(limit).offset(offset)).all())


def update(session: Session, *, user: User, draft_id: uuid.UUID, data: DraftUpdate, ip: str | None = None) -> Draft:
    """Edit a draft that has not been approved: an approved one is frozen until it is sent or fails."""
    draft = get(session, user=user, draft_id=draft_id)
    if draft.status not in EDITABLE:
        raise Conflict(f"a draft that is {draft.status} cannot be edited", code="draft_locked")
    changes = data.model_dump(exclude_unset=True)
    if "to" in changes and changes["to"] is not None:
        if not changes["to"]:
            raise ValidationError("a draft needs at least one recipient")
        draft.to_addresses = [str(a).lower() for a in changes["to"]]
    if "cc" in changes and changes["cc"] is not None:
        draft.cc_addresses = [str(a).lower() for a in changes["cc"]]
    if changes.get("subject") is not None:
        draft.subject = changes["subject"]
    if changes.get("content") is not None:
        draft.content = changes["content"]
    draft.updated_at = datetime.now(UTC)
    session.add(draft)
    session.flush()
    audit.record(session, action="draft.edit", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"fields": sorted(changes)}, ip=ip)
    return draft


def reject(session: Session, *, user: User, draft_id: uuid.UUID, ip: str | None = None) -> Draft:
    """Reject a draft, or cancel an approved one the outbox has not picked up yet."""
    draft = get(session, user=user, draft_id=draft_id)
    # Conditional, so it cannot race the outbox claiming the draft for sending.
    n = session.execute(
        sa_update(Draft).where(Draft.id == draft.id, Draft.status.in_(("pending", "failed", "approved", "rejected")))
        .values(status="rejected", updated_at=datetime.now(UTC))
    ).rowcount
    session.refresh(draft)
    if n != 1:
        raise Conflict(f"a draft that is {draft.status} cannot be rejected", code="draft_locked")
    audit.record(session, action="draft.reject", user_id=user.id, entity_type="draft", entity_id=draft.id, ip=ip)
    return draft
