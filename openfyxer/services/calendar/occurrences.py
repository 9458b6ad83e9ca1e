"""One occurrence of a CalDAV series changed or removed: the series' resource rewritten, the rest kept.

RFC 5545 (3.8.4.4, 3.8.5.1): a changed occurrence is a VEVENT with the series' UID and a
RECURRENCE-ID naming the start it replaces; a removed one is an EXDATE on the series' master. Both
are written in the master's own value type and zone, since other clients match them by value. The
text is our own server's copy of the user's calendar, read with icalendar as the sync stored it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import icalendar

from openfyxer.integrations.calendar_values import Attendee
from openfyxer.services.calendar import timeline


def _master(calendar: icalendar.Calendar, uid: str) -> icalendar.Event:
    for component in calendar.walk("VEVENT"):
        if str(component.get("UID", "")) == uid and "RECURRENCE-ID" not in component:
            return component
    raise ValueError("the series' own event is not in its resource")


def _rid(master: icalendar.Event, recurrence_id: str, default_zone: str) -> date | datetime:
    """The stored recurrence id (UTC ISO, or a date) in the form of the master's DTSTART."""
    first = master.decoded("DTSTART")
    if not isinstance(first, datetime):
        return date.fromisoformat(recurrence_id[:10])
    moment = datetime.fromisoformat(recurrence_id)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    if first.tzinfo is None:  # a floating series: the user's wall clock
        return moment.astimezone(timeline.zone(default_zone)).replace(tzinfo=None)
    return moment.astimezone(first.tzinfo)


def _same(a: date | datetime, b: date | datetime) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        if (a.tzinfo is None) != (b.tzinfo is None):
            return False
        return a == b
    return not isinstance(a, datetime) and not isinstance(b, datetime) and a == b


def _drop_override(calendar: icalendar.Calendar, uid: str, rid: date | datetime) -> None:
    calendar.subcomponents = [
        c for c in calendar.subcomponents
        if not (c.name == "VEVENT" and str(c.get("UID", "")) == uid and "RECURRENCE-ID" in c
                and _same(c.decoded("RECURRENCE-ID"), rid))]


@dataclass(frozen=True)
class Occurrence:
    """What one occurrence becomes (the values `timeline.to_ics` writes)."""

    uid: str
    recurrence_id: str  # as stored: UTC ISO, or the date
    start: date | datetime
    end: date | datetime
    all_day: bool
    tzid: str | None
    summary: str
    description: str
    location: str
    organizer: str
    attendees: tuple[Attendee, ...]
    sequence: int
    default_zone: str  # the user's, for a floating series


def changed(data: str, new: Occurrence) -> str:
    """The series' resource with the occurrence at `new.recurrence_id` replaced by `new`. Positional
    arguments only: it runs in the sandbox (the resource may hold what an invitation's sender wrote)."""
    calendar = icalendar.Calendar.from_ical(data)
    rid = _rid(_master(calendar, new.uid), new.recurrence_id, new.default_zone)
    _drop_override(calendar, new.uid, rid)
    written = icalendar.Calendar.from_ical(timeline.to_ics(
        uid=new.uid, start=new.start, end=new.end, all_day=new.all_day, tzid=new.tzid, summary=new.summary,
        description=new.description, location=new.location, organizer=new.organizer, attendees=new.attendees,
        sequence=new.sequence, client_schedules=bool(new.attendees)))
    override = next(iter(written.walk("VEVENT")))
    override.add("recurrence-id", rid)
    calendar.add_component(override)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def removed(data: str, uid: str, recurrence_id: str, default_zone: str) -> str:
    """The series' resource without the occurrence at `recurrence_id` (an EXDATE; its override dropped)."""
    calendar = icalendar.Calendar.from_ical(data)
    master = _master(calendar, uid)
    rid = _rid(master, recurrence_id, default_zone)
    _drop_override(calendar, uid, rid)
    master.add("exdate", rid)
    return calendar.to_ical().decode()
