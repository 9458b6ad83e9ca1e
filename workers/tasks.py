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
from openfyxer.services.calendar import accounts as calendars, sync as calendar_sync
from openfyxer.services.knowledge import calendar_index, indexing, meeting_index
from openfyxer.services.mail import accounts, inbox, mailactions, outbox, sync
from openfyxer.services.meetings import minutes, recordings, reminders, speakers, transcribe
from openfyxer.services.notify import deliver as notify_deliver, digest, followups


# Each task's overall deadline, in seconds: RQ's job timeout, and in process the moment the job is
# marked failed and its worker replaced. Socket timeouts (settings.mail_timeout_seconds and the like)
# end most stalls well before; this bounds what they cannot, such as a server that answers slowly
# forever. Work that commits as it goes (sync, indexing) resumes on its next run.
MINUTE = 60
DEADLINES: dict[str, float] = {
    "purge_expired": 5 * MINUTE,
    "sync_all": 1 * MINUTE,  # the periodic ones only declare one job per account or draft
    "send_due": 1 * MINUTE,
    "sync_account": 20 * MINUTE,  # a first sync of a large mailbox continues at the next one
    "send_draft": 2 * MINUTE,  # a send cut short is checked in Sent before any retry (outbox.due)
    "push_read_state": 2 * MINUTE,
    "mirror_email": 2 * MINUTE,  # a few IMAP commands on one message
    "mirror_due": 1 * MINUTE,
    "wake_snoozed": 1 * MINUTE,
    "process_account": 15 * MINUTE,  # triage asks the model only for ties on recent mail
    "draft_email": 5 * MINUTE,  # the wait for the embedded model included
    "index_account": 15 * MINUTE,
    "index_calendar": 10 * MINUTE,  # unchanged events cost a digest each; new ones an embedding
    "forget_account": 10 * MINUTE,
    "index_document": 10 * MINUTE,
    "forget_document": 5 * MINUTE,
    "sync_calendars": 1 * MINUTE,
    "sync_calendar": 10 * MINUTE,  # a first sync of thousands of events, parsed in the sandbox
    "meeting_answer": 2 * MINUTE,  # one write to the calendar server
    "deliver_notification": 2 * MINUTE,  # one request, bounded by settings.notify_timeout_seconds
    "deliver_due": 1 * MINUTE,
    "send_digests": 5 * MINUTE,  # reads each due user's mail, drafts and calendar once a day
    "remind_follow_ups": 5 * MINUTE,
    # Base model, two cores: about 10 minutes for two hours of audio. A run stops itself after 20 minutes
    # and declares the next (transcribe.RUN_BUDGET_S); each chunk commits as it goes, so a run cut short
    # here continues at the next chunk in the next one (resume_meetings).
    "transcribe_meeting": 30 * MINUTE,
    "resume_meetings": 1 * MINUTE,
    # Packaged 1.5B model, two cores: one to two minutes a part, about 17 parts for two hours of talk. A
    # run stops itself after 20 minutes and declares the next (minutes.RUN_BUDGET_S); each part commits
    # as it goes, so a run cut short here continues at the next part (resume_meetings).
    "summarize_meeting": 30 * MINUTE,
    "forget_meeting": 2 * MINUTE,
    "index_meeting": 15 * MINUTE,  # a long meeting's chunks embedded on the CPU
    "diarize_meeting": 30 * MINUTE,  # a plug-in's model over the whole recording
    "unindex_meeting": 2 * MINUTE,
    "index_meetings": 2 * MINUTE,  # one store listing per user; the work is in the jobs it declares
}


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


def deliver_notification(delivery_id: str) -> str:
    return notify_deliver.deliver(delivery_id=_id(delivery_id))


def deliver_due() -> int:
    with session_scope() as session:
        return notify_deliver.deliver_due(session)


def send_digests() -> int:
    with session_scope() as session:
        return digest.send_due(session)


def remind_follow_ups() -> int:
    """Sent mail awaiting a reply, and meetings' action items whose reminder is due."""
    with session_scope() as session:
        return followups.remind_due(session) + reminders.remind_due(session)


def send_due() -> int:
    with session_scope() as session:
        return outbox.send_due(session)


def push_read_state(email_id: str) -> int:
    return mailactions.push_read_state(email_id=_id(email_id))


def mirror_email(email_id: str) -> str:
    """Tell the mail server what the user made of a message here (folder, star, read)."""
    return inbox.mirror(email_id=_id(email_id))


def mirror_due() -> int:
    with session_scope() as session:
        return inbox.mirror_due(session)


def wake_snoozed() -> int:
    """Snoozed messages whose time has come, back in the inbox as new."""
    with session_scope() as session:
        return inbox.wake_snoozed(session)


def process_account(account_id: str) -> int:
    return processing.process_account(account_id=_id(account_id))


def index_account(account_id: str) -> int:
    """People, companies, topics and text of the account's new mail into the knowledge store."""
    return indexing.index_account(account_id=_id(account_id))


def index_calendar(user_id: str) -> dict:
    """The user's calendar events into the knowledge store (Meeting nodes, ATTENDED by people)."""
    return calendar_index.index_calendar(user_id=_id(user_id))


def forget_account(user_id: str, account_id: str) -> int:
    return indexing.forget_account(user_id=_id(user_id), account_id=_id(account_id))


def index_document(document_id: str) -> bool:
    return indexing.index_document(document_id=_id(document_id))


def forget_document(user_id: str, document_id: str) -> None:
    indexing.forget_document(user_id=_id(user_id), document_id=_id(document_id))


def draft_email(email_id: str) -> str | None:
    draft_id = processing.draft_for(email_id=_id(email_id))
    return str(draft_id) if draft_id else None


def meeting_answer(email_id: str) -> str | None:
    event_id = processing.meeting_answer(email_id=_id(email_id))
    return str(event_id) if event_id else None


def sync_calendar(calendar_id: str) -> dict:
    """Sync one calendar; the job id (one per calendar) keeps two from overlapping."""
    result = calendar_sync.sync_calendar(calendar_id=_id(calendar_id))
    return {"full": result.full, "changed": result.changed, "deleted": result.deleted,
            "instances": result.instances, "skipped": len(result.skipped)}


def sync_calendars() -> int:
    with session_scope() as session:
        return calendars.sync_all(session)


def transcribe_meeting(meeting_id: str) -> str:
    """Transcribe a meeting from its first unfinished chunk; returns its status."""
    return transcribe.transcribe_meeting(meeting_id=_id(meeting_id))


def resume_meetings() -> int:
    """Transcriptions and minutes that a killed worker or a restart left unfinished."""
    with session_scope() as session:
        return transcribe.resume_unfinished(session) + minutes.resume_unfinished(session)


def summarize_meeting(meeting_id: str) -> str:
    """Write a meeting's minutes from its first unfinished part; returns the minutes' status."""
    return minutes.summarize_meeting(meeting_id=_id(meeting_id))


def forget_meeting(meeting_id: str) -> bool:
    return recordings.forget_files(meeting_id=_id(meeting_id))


def diarize_meeting(meeting_id: str) -> str:
    """Who spoke when, by the configured plug-in (services/meetings/speakers.py)."""
    return speakers.diarize_meeting(meeting_id=_id(meeting_id))


def index_meeting(meeting_id: str) -> str:
    """A transcribed meeting into the knowledge store (node, people, topics, transcript chunks)."""
    return meeting_index.index_meeting(meeting_id=_id(meeting_id))


def unindex_meeting(user_id: str, meeting_id: str) -> int:
    return meeting_index.forget_meeting(user_id=_id(user_id), meeting_id=_id(meeting_id))


def index_meetings() -> int:
    with session_scope() as session:
        return meeting_index.catch_up(session)
