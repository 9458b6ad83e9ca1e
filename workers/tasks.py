"""Job entry points. Each takes ids, opens a unit of work and calls one service.

What follows a job (sync -> process -> draft and index) is declared by the services themselves
(`core.later`), so a task never queues another. Importing `openfyxer.jobs` installs the sender of
those declarations in the worker process.
"""

from __future__ import annotations

import uuid

import openfyxer.jobs  # noqa: F401  (installs the sender of declared jobs in an RQ worker)
from openfyxer.core.db import session_scope
from openfyxer.services import maintenance
from openfyxer.services.assistant import processing
from openfyxer.services.knowledge import indexing
from openfyxer.services.mail import accounts, mailactions, outbox, sync


def _id(value: str) -> uuid.UUID:
    return uuid.UUID(str(value))


def purge_expired() -> dict[str, int]:
    with session_scope() as session:
        return maintenance.purge_expired(session)


def sync_account(account_id: str) -> dict:
    """Sync one account; returns counts. The job id (one per account) keeps two from overlapping."""
    result = sync.sync_account(account_id=_id(account_id))
    return {"new": result.new, "removed": result.removed, "flag_changes": result.flag_changes,
            "located": result.located, "parse_errors": result.parse_errors}


def sync_all() -> int:
    with session_scope() as session:
        return accounts.sync_all(session)


def send_draft(draft_id: str) -> str:
    # The style profile learns the sent reply when sync brings it back from Sent (process_account).
    return outbox.deliver(draft_id=_id(draft_id))


def send_due() -> int:
    with session_scope() as session:
        return outbox.send_due(session)


def push_read_state(email_id: str) -> int:
    return mailactions.push_read_state(email_id=_id(email_id))


def process_account(account_id: str) -> int:
    return processing.process_account(account_id=_id(account_id))


def index_account(account_id: str) -> int:
    """People, companies, topics and text of the account's new mail into the knowledge store."""
    return indexing.index_account(account_id=_id(account_id))


def forget_account(user_id: str, account_id: str) -> int:
    return indexing.forget_account(user_id=_id(user_id), account_id=_id(account_id))


def index_document(document_id: str) -> bool:
    return indexing.index_document(document_id=_id(document_id))


def forget_document(user_id: str, document_id: str) -> None:
    indexing.forget_document(user_id=_id(user_id), document_id=_id(document_id))


def draft_email(email_id: str) -> str | None:
    draft_id = processing.draft_for(email_id=_id(email_id))
    return str(draft_id) if draft_id else None
