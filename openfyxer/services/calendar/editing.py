"""Events made or changed in OpenFyxer, written back to their server first and stored after.

The server is the source of truth: a write carries the etag it was based on, and when the event
changed there meanwhile (412) the server's copy wins: the calendar is synced again and the user is
told, nothing of theirs is silently overwritten and nothing of the server's is lost. One-off events
are created, changed and deleted; of a series, one occurrence at a time (the whole series is changed
in the user's calendar app). CalDAV calendars take the iCalendar text (an occurrence: occurrences.py,
in the sandbox); Google and Outlook calendars their JSON (api_write.py), where each occurrence is an
event of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, select

from openfyxer.core import sandbox
from openfyxer.core.db import session_scope
from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.integrations import caldav
from openfyxer.integrations.calendar_api import EtagConflict, EventGone
from openfyxer.integrations.calendar_values import Attendee, EventFields
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, CalendarObject, EventWrite
from openfyxer.models.user import User
from openfyxer.services.auth import check_timezone
from openfyxer.services.calendar import api_write, occurrences, parse, sync, timeline
from openfyxer.services.calendar.accounts import caldav_config, get_calendar

MAX_LENGTH = timedelta(days=366)


def _times(data: EventWrite, user: User) -> tuple[object, object, str | None]:
    """(start, end, zone) to write; refused when outside what is kept here, so a write never lands on the
    server without its row."""
    first, last = sync.horizon()
    day = data.start_date if data.all_day else (data.start.date() if data.start else None)
    if day is not None and not first.date() < day < last.date():
        raise ValidationError("OpenFyxer keeps a year back and two years ahead: the event is outside that")
    if data.all_day:
        if data.start_date is None or data.end_date is None or data.end_date <= data.start_date:
            raise ValidationError("an all-day event needs start_date and a later (exclusive) end_date")
        if data.end_date - data.start_date > MAX_LENGTH:
            raise ValidationError("an event lasts at most a year")
        return data.start_date, data.end_date, None
    if data.start is None or data.end is None or data.start.tzinfo is None or data.end.tzinfo is None:
        raise ValidationError("a timed event needs start and end with an offset")
    if not timedelta(0) <= data.end - data.start <= MAX_LENGTH:
        raise ValidationError("end must be after start, at most a year later")
    return data.start.astimezone(UTC), data.end.astimezone(UTC), check_timezone(data.tzid or user.timezone or "UTC")


def _store(session: Session, cal: Calendar, obj: CalendarObject | None, remote: caldav.RemoteObject) -> CalendarObject:
    zone = session.get(User, cal.user_id).timezone or "UTC"
    parsed = timeline.expand(remote.data, *sync.horizon(), default_zone=zone)  # our own text: no sandbox needed
    obj = sync.store_object(session, cal.id, obj, remote, parsed)
    sync.store_instances(session, obj, parsed.instances)
    return obj


def create_event(session: Session, *, user: User, data: EventWrite, organizer: str = "",
                 attendees: Sequence[Attendee] = (), uid: str | None = None) -> CalendarEvent:
    """A new event; with attendees it is a meeting the user organises, whose invitation the outbox
    sends (never the calendar server: see `client_schedules`)."""
    if data.calendar_id is None:
        raise ValidationError("calendar_id: which calendar the event goes in")
    cal = get_calendar(session, user=user, calendar_id=data.calendar_id)
    start, end, tzid = _times(data, user)
    account = session.get(CalendarAccount, cal.account_id)
    if account.provider != "caldav":  # the provider names the event (its UID included); no guests written
        return _first_instance(session, api_write.create(session, cal, account, _fields(data, start, end, tzid, user)))
    uid = uid or f"{uuid.uuid4()}@openfyxer"
    text = timeline.to_ics(uid=uid, start=start, end=end, all_day=data.all_day, tzid=tzid, summary=data.title,
                           description=data.description, location=data.location, organizer=organizer,
                           attendees=attendees, client_schedules=bool(attendees))
    remote = caldav.put(_config(session, cal), calendar_url=cal.url, uid=uid, data=text)
    obj = _store(session, cal, None, remote)
    return _first_instance(session, obj)


def _config(session: Session, cal: Calendar) -> caldav.CalDavConfig:
    return caldav_config(session.get(CalendarAccount, cal.account_id))


def _fields(data: EventWrite, start: object, end: object, tzid: str | None, user: User) -> EventFields:
    return EventFields(title=data.title, description=data.description or "", location=data.location or "",
                       start=start, end=end, all_day=data.all_day, tzid=tzid or user.timezone or "UTC")


@contextmanager
def _server_wins_on_conflict(session: Session, cal: Calendar, user: User) -> Iterator[None]:
    """A write refused because the event changed (or went) on its server since it was read here."""
    try:
        yield
    except (caldav.CalDavConflict, EtagConflict, EventGone) as e:
        raise server_wins(session, cal, user) from e


def _editable(session: Session, user: User, event_id: uuid.UUID) -> tuple[CalendarEvent, Calendar, CalendarObject]:
    event = session.get(CalendarEvent, event_id)
    if event is None or event.user_id != user.id or event.object_id is None:
        raise NotFound("no such event")
    return event, session.get(Calendar, event.calendar_id), session.get(CalendarObject, event.object_id)


def _occurrence(account: CalendarAccount, event: CalendarEvent, obj: CalendarObject) -> bool:
    """Whether the event is one occurrence of a CalDAV series (changed within the series' resource)."""
    if not obj.recurring or account.provider != "caldav":
        return False
    if not event.recurrence_id:
        raise ValidationError("this series cannot be changed here: change it in your calendar app",
                              code="calendar_series")
    return True


def _read(obj: CalendarObject, zone: str) -> list[timeline.Instance]:
    """The stored resource's instances, read in the sandbox: an invitation's sender may have written it."""
    parsed = parse.expand_many([obj.data], *sync.horizon(), zone)[0]
    if isinstance(parsed, str):
        raise ValidationError(f"this event cannot be changed here: {parsed}", code="calendar_invalid")
    return parsed.instances


def _rewrite(fn: object, *args: object) -> str:
    try:
        return sandbox.run(fn, *args, limits=parse.LIMITS)
    except (ValueError, sandbox.SandboxError) as e:
        raise ValidationError(f"this occurrence cannot be changed here: {e}"[:300], code="calendar_invalid") from e


def _put_series(session: Session, user: User, cal: Calendar, obj: CalendarObject, event: CalendarEvent,
                text: str) -> None:
    with _server_wins_on_conflict(session, cal, user):
        remote = caldav.put(_config(session, cal), calendar_url=cal.url, uid=event.uid, data=text, href=obj.href,
                            etag=obj.etag)
    parsed = parse.expand_many([remote.data], *sync.horizon(), user.timezone or "UTC")[0]
    if isinstance(parsed, str):  # the server took it; the next sync says why it cannot be shown
        raise ValidationError(f"the calendar server changed the series into what cannot be read: {parsed}",
                              code="calendar_invalid")
    sync.store_object(session, cal.id, obj, remote, parsed)
    sync.store_instances(session, obj, parsed.instances)


def _update_occurrence(session: Session, user: User, event: CalendarEvent, cal: Calendar, obj: CalendarObject,
                       data: EventWrite, start: object, end: object, tzid: str | None) -> CalendarEvent:
    zone = user.timezone or "UTC"
    was = next((i for i in _read(obj, zone) if (i.recurrence_id or "") == event.recurrence_id), None)
    if was is None:
        raise NotFound("this occurrence is no longer in the series")
    new = occurrences.Occurrence(
        uid=event.uid, recurrence_id=event.recurrence_id, start=start, end=end, all_day=data.all_day, tzid=tzid,
        summary=data.title, description=data.description or "", location=data.location or "",
        organizer=was.organizer and f"mailto:{was.organizer}", attendees=was.attendees, sequence=was.sequence + 1,
        default_zone=zone)
    _put_series(session, user, cal, obj, event, _rewrite(occurrences.changed, obj.data, new))
    # the occurrence keeps its row (same UID and RECURRENCE-ID); read afresh, the bulk write bypassed the session
    return session.exec(select(CalendarEvent).where(CalendarEvent.id == event.id)
                        .execution_options(populate_existing=True)).one()


def update_event(session: Session, *, user: User, event_id: uuid.UUID, data: EventWrite) -> CalendarEvent:
    event, cal, obj = _editable(session, user, event_id)
    start, end, tzid = _times(data, user)
    account = session.get(CalendarAccount, cal.account_id)
    if account.provider != "caldav":
        with _server_wins_on_conflict(session, cal, user):
            api_write.update(session, cal, account, obj, _fields(data, start, end, tzid, user))
        return _first_instance(session, obj)
    if _occurrence(account, event, obj):
        return _update_occurrence(session, user, event, cal, obj, data, start, end, tzid)
    old = _read(obj, user.timezone or "UTC")
    sequence = (old[0].sequence + 1) if old else 1
    text = timeline.to_ics(uid=event.uid, start=start, end=end, all_day=data.all_day, tzid=tzid, summary=data.title,
                           description=data.description, location=data.location, sequence=sequence,
                           organizer=old[0].organizer if old else "", attendees=old[0].attendees if old else (),
                           client_schedules=bool(old and old[0].attendees))
    with _server_wins_on_conflict(session, cal, user):
        remote = caldav.put(_config(session, cal), calendar_url=cal.url, uid=event.uid, data=text, href=obj.href,
                            etag=obj.etag)
    _store(session, cal, obj, remote)
    return _first_instance(session, obj)


def delete_event(session: Session, *, user: User, event_id: uuid.UUID) -> None:
    event, cal, obj = _editable(session, user, event_id)
    account = session.get(CalendarAccount, cal.account_id)
    if _occurrence(account, event, obj):
        text = _rewrite(occurrences.removed, obj.data, event.uid, event.recurrence_id, user.timezone or "UTC")
        _put_series(session, user, cal, obj, event, text)
        return
    with _server_wins_on_conflict(session, cal, user):
        if account.provider == "caldav":
            caldav.delete(caldav_config(account), calendar_url=cal.url, href=obj.href, etag=obj.etag)
        else:
            api_write.delete(session, cal, account, obj)
    session.exec(sql_delete(CalendarEvent).where(CalendarEvent.object_id == obj.id))
    session.delete(obj)
    session.flush()


def server_wins(session: Session, cal: Calendar, user: User) -> Conflict:
    # Its own unit of work: the caller's rolls back with the error, and the re-sync must still happen.
    with session_scope() as own:
        later(own, "sync_calendar", cal.id, owner=user.id)
    return Conflict("this event was changed in another calendar app since it was shown here; their version is kept "
                    "and is being synced: look at it again before changing it", code="calendar_conflict")


def _first_instance(session: Session, obj: CalendarObject) -> CalendarEvent:
    return session.exec(select(CalendarEvent).where(CalendarEvent.object_id == obj.id)
                        .order_by(CalendarEvent.start_time)).one()
