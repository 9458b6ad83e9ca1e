"""What the user changes: the minutes' items (edited minutes are theirs: no automatic run replaces
them), and the meeting's details (attendees typed or taken from the calendar event it was)."""

from __future__ import annotations

import uuid
from datetime import UTC

from sqlmodel import Session, select

from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import CalendarEvent
from openfyxer.models.email import Email
from openfyxer.models.meeting import SAMPLE_RATE, Meeting
from openfyxer.models.meeting_minutes import (ActionItem, ActionItemEdit, Cite, Item, ItemEdit, MeetingDetailsUpdate,
                                              Minutes, MinutesEdit, MinutesOut)
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.meetings import build, recordings


def public(meeting: Meeting) -> MinutesOut:
    return MinutesOut(status=meeting.minutes_status, error=meeting.minutes_error, edited=meeting.minutes_edited,
                      minutes=Minutes.model_validate(meeting.minutes) if meeting.minutes else None)


def _cites(given: list[Cite], duration: float) -> list[Cite]:
    for c in given:
        if c.end_s < c.start_s or c.end_s > duration + 1:
            raise ValidationError(f"a citation must lie within the recording (0 to {duration:.0f} s)",
                                  code="invalid_cite")
    return given


def _segments(cites: list[Cite], times: list[tuple[float, float]]) -> list[int]:
    return [i for i, (a, b) in enumerate(times) if any(a < c.end_s and b > c.start_s for c in cites)]


def _section(edits: list[ItemEdit], old: list[Item], kind: type[Item], duration: float,
             times: list[tuple[float, float]]) -> list[Item]:
    by_id = {i.id: i for i in old}
    out = []
    for e in edits:
        was = by_id.get(e.id) if e.id else None
        fields: dict = {"text": e.text.strip()}
        if e.cites is not None:
            fields["cites"] = _cites(e.cites, duration)
            fields["segments"] = _segments(fields["cites"], times)
        elif was is not None:
            fields["cites"], fields["segments"] = was.cites, was.segments
        if was is not None:
            fields["id"] = was.id
            fields["flags"] = was.flags if was.text == fields["text"] else []
        if isinstance(e, ActionItemEdit):
            fields.update(owner_name=e.owner_name, owner_email=str(e.owner_email).lower() if e.owner_email else None,
                          due=e.due, due_time=e.due_time if e.due else None,
                          due_words=was.due_words if isinstance(was, ActionItem) and was.due == e.due else None)
        out.append(kind(**fields))
    return out


def edit(session: Session, *, user: User, meeting_id: uuid.UUID, data: MinutesEdit, ip: str | None = None) -> Meeting:
    """Each section given replaces that section; the minutes are marked edited, so a later automatic
    run leaves them as they are (regenerating them is the user's explicit request)."""
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    current = Minutes.model_validate(meeting.minutes or {})
    duration = meeting.samples / SAMPLE_RATE
    times = [(g.start_s, g.end_s) for g in recordings.segments(session, meeting.id)]
    changed = data.model_dump(exclude_unset=True)
    for name in ("summary", "decisions", "questions"):
        if name in changed:
            setattr(current, name, _section(getattr(data, name), getattr(current, name), Item, duration, times))
    if "action_items" in changed:
        current.action_items = _section(data.action_items, current.action_items, ActionItem, duration, times)
    current.language = current.language or meeting.language
    meeting.minutes = current.model_dump(mode="json")
    meeting.summary, meeting.action_items = build.legacy(current)
    meeting.minutes_edited = True
    if meeting.minutes_status in ("none", "failed"):
        meeting.minutes_status, meeting.minutes_error = "done", None
    session.add(meeting)
    session.flush()
    audit.record(session, action="meeting.minutes_edit", user_id=user.id, entity_type="meeting",
                 entity_id=meeting.id, details={"sections": sorted(changed)}, ip=ip)
    return meeting


def _names(session: Session, user: User, addresses: list[str]) -> dict[str, str]:
    """The names people go by in the user's mail (their latest), for the event's bare addresses."""
    accounts = select(EmailAccount.id).where(EmailAccount.user_id == user.id)
    rows = session.exec(select(Email.sender, Email.sender_name).where(
        Email.account_id.in_(accounts), Email.sender.in_(addresses), Email.sender_name.is_not(None))
        .order_by(Email.received_at.asc())).all()
    return {s.lower(): n for s, n in rows if n}


def from_event(session: Session, user: User, event: CalendarEvent) -> list[dict]:
    addresses = list(dict.fromkeys(a.lower().removeprefix("mailto:") for a in
                                   [*(event.attendees or []), *([event.organizer] if event.organizer else [])] if a))
    names = _names(session, user, addresses)
    return [{"name": names.get(a, ""), "email": a} for a in addresses]


def details(session: Session, *, user: User, meeting_id: uuid.UUID, data: MeetingDetailsUpdate,
            ip: str | None = None) -> Meeting:
    """Title, attendees, the calendar event it was (its attendees and start, unless given too), when it began."""
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    given = data.model_dump(exclude_unset=True)
    if given.get("calendar_event_id"):
        event = session.get(CalendarEvent, data.calendar_event_id)
        if event is None or event.user_id != user.id:
            raise NotFound("no such calendar event")
        meeting.calendar_event_id = event.id
        meeting.attendees, meeting.started_at = from_event(session, user, event), event.start_time
        meeting.title = meeting.title or (event.title or "")[:300]
    if data.title:
        meeting.title = data.title.strip()
    if data.attendees is not None:
        meeting.attendees = [{"name": a.name.strip(), "email": str(a.email).lower() if a.email else None}
                             for a in data.attendees]
    if data.started_at is not None:
        if data.started_at.tzinfo is None:
            raise ValidationError("started_at needs a time zone offset")
        meeting.started_at = data.started_at.astimezone(UTC)
    session.add(meeting)
    session.flush()
    audit.record(session, action="meeting.details", user_id=user.id, entity_type="meeting", entity_id=meeting.id,
                 details={"fields": sorted(given)}, ip=ip)
    return meeting
