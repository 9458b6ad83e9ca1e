"""What a sync keeps: each resource as the server holds it (`calendar_objects`) and its instances
(`calendar_events`) over the horizon the week view and the slot search read. Shared by the CalDAV
sync, the Google/Graph sync, and the writes made here (events, invitations)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from openfyxer.integrations import caldav
from openfyxer.models.calendar import Calendar, CalendarEvent, CalendarObject
from openfyxer.models.types import utcnow
from openfyxer.services.calendar import timeline

# What is expanded into rows: a year back ("when did I last meet Ana?") and two ahead (scheduling).
PAST = timedelta(days=366)
AHEAD = timedelta(days=731)
SKIPPED_KEPT = 50  # lines about malformed events shown per calendar
# A series expanded this long ago is expanded again from its stored text: its instances must reach
# two years ahead of today, not of the day it last changed.
REEXPAND_AFTER = timedelta(days=30)


@dataclass
class SyncResult:
    full: bool = False
    changed: int = 0
    deleted: int = 0
    instances: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def horizon(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    return now - PAST, now + AHEAD


def store_object(session: Session, calendar_id: uuid.UUID, obj: CalendarObject | None, remote: caldav.RemoteObject,
                  parsed: timeline.Parsed) -> CalendarObject:
    uid = _uid(parsed, obj)
    if obj is None:
        obj = CalendarObject(calendar_id=calendar_id, href=remote.href)
    obj.etag, obj.data, obj.uid, obj.updated_at = remote.etag, remote.data, uid, utcnow()
    obj.recurring = any(i.is_recurring for i in parsed.instances)
    session.add(obj)
    session.flush()
    return obj


def store_new(session: Session, cal: Calendar, batch: list[tuple[caldav.RemoteObject, timeline.Parsed]]) -> int:
    """Objects this calendar has not held yet, with their instances: two bulk inserts for the whole
    batch. A first sync is thousands of them, and one flush and one look-up each cost it seconds."""
    now, objects, events = utcnow(), [], []
    for remote, parsed in batch:
        obj_id = uuid.uuid4()
        objects.append({"id": obj_id, "calendar_id": cal.id, "href": remote.href, "etag": remote.etag,
                        "data": remote.data, "uid": _uid(parsed, None), "remote_id": None,
                        "recurring": any(i.is_recurring for i in parsed.instances), "updated_at": now})
        for key, inst in _unique(parsed.instances):
            events.append(_fresh(cal, obj_id, key, inst, "caldav", now))
    if objects:
        session.execute(insert(CalendarObject), objects)
    if events:
        session.execute(insert(CalendarEvent), events)
    return len(events)


def store_instances(session: Session, obj: CalendarObject, instances: list[timeline.Instance],
                    provider: str = "caldav") -> int:
    """Replace the object's instances, keeping the id of each that still exists."""
    cal = session.get(Calendar, obj.calendar_id)
    existing = {(e.uid, e.recurrence_id): e for e in session.exec(select(CalendarEvent).where(
        CalendarEvent.object_id == obj.id)).all()}
    fresh, now, count = [], utcnow(), 0
    for key, inst in _unique(instances):
        count += 1
        row = existing.pop(key, None)
        if row is None:
            fresh.append(_fresh(cal, obj.id, key, inst, provider, now))
        else:
            for name, value in _row(inst).items():
                setattr(row, name, value)
            session.add(row)
    if existing:
        session.exec(delete(CalendarEvent).where(CalendarEvent.id.in_([e.id for e in existing.values()])))
    if fresh:
        session.execute(insert(CalendarEvent), fresh)  # in bulk: a series is hundreds of rows
    return count


def _uid(parsed: timeline.Parsed, obj: CalendarObject | None) -> str:
    return (parsed.instances[0].uid if parsed.instances else (obj.uid if obj else ""))[:500]


def _unique(instances: list[timeline.Instance]):  # noqa: ANN202
    """Each instance once, by the key the table is unique on."""
    seen = set()
    for inst in instances:
        key = (inst.uid[:500], inst.recurrence_id or "")
        if key not in seen:
            seen.add(key)
            yield key, inst


def _fresh(cal: Calendar, obj_id: uuid.UUID, key: tuple[str, str], inst: timeline.Instance, provider: str,
           now: datetime) -> dict:
    return {"id": uuid.uuid4(), "user_id": cal.user_id, "calendar_id": cal.id, "object_id": obj_id,
            "provider": provider, "uid": key[0], "recurrence_id": key[1], "created_at": now, **_row(inst)}


def _row(inst: timeline.Instance) -> dict:
    return {
        "title": inst.summary[:500] or None, "description": inst.description or None,
        "location": inst.location[:500] or None, "start_time": as_utc(inst.start), "end_time": as_utc(inst.end),
        "tzid": inst.tzid, "is_all_day": inst.all_day, "status": inst.status[:20], "transparent": inst.transparent,
        "organizer": inst.organizer[:255] or None, "attendees": [a.email for a in inst.attendees],
        "external_id": inst.uid[:255],
    }


def as_utc(value: datetime | date) -> datetime:
    """A stored instant: an all-day date becomes midnight UTC of that date (its reader places the
    date in the user's zone)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)
