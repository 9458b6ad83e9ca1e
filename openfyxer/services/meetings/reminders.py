"""Action items made into reminders: at the item's due date (9:00 in the user's zone, or the time said)
or at a time the user gives, the user is told through the "follow_up" event, the one that tells them
of sent mail awaiting a reply.

The follow-up watch (`follow_ups`, services/notify/followups.py) is keyed on a sent email and its thread
and ends when a reply arrives: an action item has neither, so it gets a small table of its own, and
shares the rest: the event and its channels' subscriptions, quiet hours, the notification outbox that
delivers once per channel, and the periodic job that runs the follow-up reminders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.models.meeting import Meeting
from openfyxer.models.meeting_minutes import MeetingReminder, Minutes
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.meetings import due, recordings
from openfyxer.services.notify import events


def remind(session: Session, *, user: User, meeting_id: uuid.UUID, index: int, at: datetime | None = None,
           ip: str | None = None) -> MeetingReminder:
    """A reminder of the meeting's action item at `index`; asking again for the same item moves the
    existing reminder (to `at`, when given) rather than making a second."""
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    items = Minutes.model_validate(meeting.minutes or {}).action_items
    if not 0 <= index < len(items):
        raise NotFound("no such action item")
    item = items[index]
    if at is not None and at.tzinfo is None:
        raise ValidationError("`at` needs a time zone offset")
    if at is None and item.due is None:
        raise ValidationError("this action item has no due date: say when to remind you (`at`)", code="no_due_date")
    when = at.astimezone(UTC) if at else due.remind_at(
        item.due, datetime.strptime(item.due_time, "%H:%M").time() if item.due_time else None, user.timezone)
    row = session.exec(select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id,
                                                     MeetingReminder.item_id == item.id)).first()
    if row is None:
        row = MeetingReminder(user_id=user.id, meeting_id=meeting.id, item_id=item.id, what=item.text[:500],
                              owner=(item.owner_name or item.owner_email or "")[:300], due_at=when)
        try:
            with session.begin_nested():  # asked twice at once: the first stands
                session.add(row)
        except IntegrityError:
            row = session.exec(select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id,
                                                             MeetingReminder.item_id == item.id)).one()
    elif at is not None or row.state == "waiting":
        row.due_at, row.state = when, "waiting"
        session.add(row)
    session.flush()
    audit.record(session, action="meeting.remind", user_id=user.id, entity_type="meeting", entity_id=meeting.id,
                 details={"item": item.id, "due_at": when.isoformat()}, ip=ip)
    return row


def remind_due(session: Session, now: datetime | None = None) -> int:
    """The periodic job's part: each reminder whose time has come is told once, and is done."""
    now = now or datetime.now(UTC)
    rows = session.exec(select(MeetingReminder).where(MeetingReminder.state == "waiting",
                                                      MeetingReminder.due_at <= now)).all()
    for r in rows:
        user, meeting = session.get(User, r.user_id), session.get(Meeting, r.meeting_id)
        events.raise_event(session, user=user, event="follow_up", key=f"meeting_item:{r.id}",
                           payload={"kind": "action_item", "subject": r.what, "to": r.owner,
                                    "meeting": meeting.title if meeting else "", "due_at": r.due_at.isoformat(),
                                    "link": events.link(f"/meetings/{r.meeting_id}")}, now=now)
        r.state = "sent"
        session.add(r)
    session.flush()
    return len(rows)


def for_meeting(session: Session, *, user: User, meeting_id: uuid.UUID) -> list[MeetingReminder]:
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    return list(session.exec(select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id)
                             .order_by(MeetingReminder.due_at)).all())
