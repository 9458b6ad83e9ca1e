"""Job entry points. Each takes ids, opens a unit of work and calls one service."""

from __future__ import annotations

import uuid

from sqlmodel import select

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount
from openfyxer.services import knowledge, mailactions, maintenance, outbox, processing, sync


def purge_expired() -> dict[str, int]:
    with session_scope() as session:
        return maintenance.purge_expired(session)


def sync_account(account_id: str) -> dict:
    """Sync one account; returns counts. The job id (one per account) keeps two from overlapping."""
    result = sync.sync_account(account_id=uuid.UUID(str(account_id)))
    if result.new:
        jobs.enqueue("process_account", str(account_id))
    return {"new": result.new, "removed": result.removed, "flag_changes": result.flag_changes,
            "located": result.located, "parse_errors": result.parse_errors}


def sync_all() -> int:
    """Queue a sync of every active account (the periodic job)."""
    with session_scope() as session:
        ids = session.exec(select(EmailAccount.id).where(EmailAccount.is_active)).all()
    for account_id in ids:
        jobs.enqueue("sync_account", str(account_id))
    return len(ids)


def send_draft(draft_id: str) -> str:
    # The style profile learns the sent reply when sync brings it back from Sent (process_account).
    return outbox.deliver(draft_id=uuid.UUID(str(draft_id)))


def send_due() -> int:
    """Queue approved drafts whose next attempt is due (retries, and sends a dead worker left)."""
    with session_scope() as session:
        ids = outbox.due(session)
    for draft_id in ids:
        jobs.enqueue("send_draft", str(draft_id))
    return len(ids)


def push_read_state(email_id: str) -> int:
    return mailactions.push_read_state(email_id=uuid.UUID(str(email_id)))


def process_account(account_id: str) -> int:
    """Triage new mail, then queue a draft for each recent message that needs a reply."""
    done = processing.process_account(account_id=uuid.UUID(str(account_id)))
    for email_id in done.to_draft:
        jobs.enqueue("draft_email", str(email_id))
    # After the drafts: answering questions over the mail can wait longer than a reply.
    jobs.enqueue("index_account", str(account_id))
    return done.triaged


def index_account(account_id: str) -> int:
    """People, companies, topics and text of the account's new mail into the knowledge store."""
    return knowledge.index_account(account_id=uuid.UUID(str(account_id)))


def forget_account(user_id: str, account_id: str) -> int:
    return knowledge.forget_account(user_id=uuid.UUID(str(user_id)), account_id=uuid.UUID(str(account_id)))


def index_document(document_id: str) -> bool:
    return knowledge.index_document(document_id=uuid.UUID(str(document_id)))


def draft_email(email_id: str) -> str | None:
    draft_id = processing.draft_for(email_id=uuid.UUID(str(email_id)))
    return str(draft_id) if draft_id else None
