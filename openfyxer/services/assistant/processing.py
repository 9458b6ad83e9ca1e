"""What happens to new mail after sync: triage, notifications, the style profile, reply drafts,
then the knowledge store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.later import later
from openfyxer.services.assistant import drafting, style, triage
from openfyxer.services.calendar import booking, offers
from openfyxer.services.notify import events as notify_events, followups

BATCH = 64


def process_account(*, account_id: uuid.UUID) -> int:
    """Triage every unprocessed message of the account, a batch per transaction, and queue a draft
    for each recent one that needs a reply and has none; returns how many were sorted."""
    triaged = 0
    recent = datetime.now(UTC) - timedelta(days=get_settings().auto_draft_days)
    saw_sent = False
    while True:
        with session_scope() as s:
            user = triage.owner(s, account_id)
            batch = triage.pending(s, account_id=account_id, limit=BATCH) if user else []
            if not batch:
                break
            triage.triage_batch(s, user=user, emails=batch)
            saw_sent = saw_sent or any(e.folder_role == "sent" for e in batch)
            followups.replies_arrived(s, user=user, emails=batch)
            followups.track_sent(s, user=user, emails=batch)
            for e in batch:
                if e.folder_role == "inbox" and booking.answers_an_offer(s, user=user, email=e):
                    later(s, "meeting_answer", e.id, owner=user.id)
                if (e.needs_reply and e.folder_role == "inbox" and e.received_at and e.received_at >= recent
                        and not drafting.has_pending_draft(s, e.id)):
                    later(s, "draft_email", e.id, owner=user.id)
            triaged += len(batch)
    with session_scope() as s:
        user = triage.owner(s, account_id)
        if user and saw_sent:
            style.refresh(s, user=user)  # the user's voice follows what they send
        # After the drafts: answering questions over the mail can wait longer than a reply.
        later(s, "index_account", account_id, owner=user.id if user else None)
    return triaged


def draft_for(*, email_id: uuid.UUID) -> uuid.UUID | None:
    """The automatic draft for one message, unless one exists already (repeating is harmless)."""
    with session_scope() as s:
        from openfyxer.models.email import Email

        email = s.get(Email, email_id)
        if email is None or drafting.has_pending_draft(s, email_id):
            return None
        user = triage.owner(s, email.account_id)
        if offers.wants_times(s, user=user, email=email):
            # Times come from the calendar, not from a model: the offer is written by code.
            return offers.offer_times(s, user=user, email_id=email_id).id
        # The model takes seconds; a draft the user asks for meanwhile wins over this one.
        draft = drafting.generate(s, user=user, email_id=email_id, replace=False)
        notify_events.draft_ready(s, user=user, draft=draft)
        return draft.id


def meeting_answer(*, email_id: uuid.UUID) -> uuid.UUID | None:
    """A reply to offered times: the meeting it picks is booked (its invitation waits for approval)."""
    with session_scope() as s:
        from openfyxer.models.email import Email

        email = s.get(Email, email_id)
        user = triage.owner(s, email.account_id) if email else None
        if user is None:
            return None
        event = booking.answer_received(s, user=user, email=email)
        return event.id if event else None
