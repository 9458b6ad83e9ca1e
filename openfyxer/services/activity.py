"""A cheap fingerprint of what the user can see change: new or sorted mail, read marks, drafts,
sync and indexing progress, meetings' transcription. The dashboard compares it every few seconds and
redraws only when it moves."""

from __future__ import annotations

import uuid

from sqlalchemy import case, func
from sqlmodel import Session, select

from openfyxer.models.account import EmailAccount
from openfyxer.models.document import Document
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.models.meeting import Meeting
from openfyxer.services.mail import watch
from openfyxer.services.mail.accounts import owned_ids


def stamp(session: Session, *, user_id: uuid.UUID) -> tuple:
    mail = session.exec(select(
        func.count(Email.id), func.max(Email.created_at),
        func.sum(case((Email.category.is_(None), 1), else_=0)), func.sum(case((Email.is_read.is_(False), 1), else_=0)),
        func.count(Email.indexed_at),
    ).where(Email.account_id.in_(owned_ids(user_id)))).one()
    docs = session.exec(select(func.count(Document.id), func.count(Document.indexed_at))
                        .where(Document.user_id == user_id)).one()
    # Per status: the outbox moves a draft on (approved, sent) without touching updated_at.
    drafts = session.exec(select(Draft.status, func.count(Draft.id), func.max(Draft.updated_at))
                          .where(Draft.user_id == user_id).group_by(Draft.status).order_by(Draft.status)).all()
    syncs = session.exec(select(EmailAccount.id, EmailAccount.sync_state, EmailAccount.sync_done,
                                EmailAccount.last_sync).where(EmailAccount.user_id == user_id)
                         .order_by(EmailAccount.id)).all()
    # How each inbox is watched (services/mail/watch): Settings says so, and a watcher starting or
    # failing changes nothing in the database.
    shown = [watch.published(s[0]) or {} for s in syncs]
    watched = tuple((w.get("mode"), w.get("last_error")) for w in shown)
    # Per status, with the audio done: each chunk the transcription commits moves the Meetings pages on.
    meetings = session.exec(select(Meeting.status, func.count(Meeting.id), func.sum(Meeting.done_samples))
                            .where(Meeting.user_id == user_id).group_by(Meeting.status).order_by(Meeting.status)).all()
    return (tuple(mail), tuple(docs), tuple(tuple(d) for d in drafts), tuple(tuple(s) for s in syncs), watched,
            tuple(tuple(m) for m in meetings))
