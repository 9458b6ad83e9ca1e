"""Drafts: written by hand or by the assistant, listed, edited and rejected by the user."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from difflib import SequenceMatcher

from sqlalchemy import update as sa_update
from sqlmodel import Session, select

from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.models.draft import EDITABLE, REJECT_REASONS, REPLACED, WITHDRAWN, Draft, DraftCreate, DraftUpdate
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.mail.accounts import get_account


def reply_subject(subject: str | None) -> str:
    # A stranger's subject may decode to several lines; a header holds one.
    s = " ".join((subject or "").split())
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


def withdraw_for(session: Session, *, user: User, email_ids: list[uuid.UUID], ip: str | None = None) -> list[uuid.UUID]:
    """The pending drafts of emails that no longer want a reply, withdrawn (kept, not judged); their ids."""
    ids = list(session.exec(select(Draft.id).where(Draft.user_id == user.id, Draft.email_id.in_(email_ids),
                                                   Draft.status == "pending")).all())
    for draft_id in ids:
        reject(session, user=user, draft_id=draft_id, reason=WITHDRAWN, ip=ip)
    return ids


def restore_withdrawn(session: Session, *, user: User, draft_ids: list[uuid.UUID]) -> int:
    """Undo of a withdrawal: the drafts are pending again, if nothing else happened to them meanwhile."""
    return session.execute(sa_update(Draft).where(Draft.user_id == user.id, Draft.id.in_(draft_ids),
                                                  Draft.status == "rejected", Draft.reject_reason == WITHDRAWN)
                           .values(status="pending", reject_reason=None, updated_at=datetime.now(UTC))).rowcount


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


def reject(session: Session, *, user: User, draft_id: uuid.UUID, reason: str | None = None,
           ip: str | None = None) -> Draft:
    """Reject a draft, or cancel an approved one the outbox has not picked up yet. The reason the
    user gives ("not_needed", "wrong_facts", ...) is kept: it is the feedback on what was written."""
    if reason is not None and reason not in (*REJECT_REASONS, REPLACED, WITHDRAWN):
        raise ValidationError(f"reason must be one of {', '.join(REJECT_REASONS)}")
    draft = get(session, user=user, draft_id=draft_id)
    # Conditional, so it cannot race the outbox claiming the draft for sending.
    n = session.execute(
        sa_update(Draft).where(Draft.id == draft.id, Draft.status.in_(("pending", "failed", "approved", "rejected")))
        .values(status="rejected", updated_at=datetime.now(UTC),
                **({"reject_reason": reason} if reason else {}))
    ).rowcount
    session.refresh(draft)
    if n != 1:
        raise Conflict(f"a draft that is {draft.status} cannot be rejected", code="draft_locked")
    audit.record(session, action="draft.reject", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"reason": reason} if reason else None, ip=ip)
    return draft


# ---- feedback: how much of what the assistant wrote the user kept ----------------------------

SMALL_EDIT = 0.2  # at most a fifth of the words changed: a name, a date, a sentence
QUALITY_DAYS = 30
_WORD = re.compile(r"\w+|[^\w\s]")


def edit_ratio(generated: str, sent: str) -> float:
    """The share of the text the user changed, by words (0 = sent as written, 1 = all rewritten).

    Word-level, so re-wrapped lines or an extra blank line count for nothing, and a changed
    date counts as one word, not as a few characters."""
    before, after = _WORD.findall(generated.lower()), _WORD.findall(sent.lower())
    if not before and not after:
        return 0.0
    return round(1.0 - SequenceMatcher(None, before, after, autojunk=False).ratio(), 3)


@dataclass(frozen=True)
class Quality:
    """The user's verdict on the assistant's drafts over the last QUALITY_DAYS days."""

    approved: int  # sent, or approved and on their way
    small_edits: int  # of those, sent as written or with small edits
    rejected: int

    @property
    def share(self) -> float | None:
        """Share of the drafts the user dealt with that went out with small edits."""
        judged = self.approved + self.rejected
        return round(self.small_edits / judged, 3) if judged else None


def quality(session: Session, *, user: User, days: int = QUALITY_DAYS) -> Quality:
    since = datetime.now(UTC) - timedelta(days=days)
    # A draft replaced by a new one (written again, or with the user's pick) or withdrawn was not judged.
    rows = session.exec(select(Draft.status, Draft.edit_ratio).where(
        (Draft.reject_reason.is_(None)) | (Draft.reject_reason.not_in((REPLACED, WITHDRAWN))),
        Draft.user_id == user.id, Draft.generated_content.is_not(None), Draft.updated_at >= since,
        Draft.status.in_(("approved", "sending", "sent", "rejected")))).all()
    approved = [ratio for status, ratio in rows if status != "rejected"]
    return Quality(approved=len(approved), small_edits=sum((r or 0.0) <= SMALL_EDIT for r in approved),
                   rejected=sum(status == "rejected" for status, _ in rows))
