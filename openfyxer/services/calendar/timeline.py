"""iCalendar data -> the event instances that overlap a time window, and one event back to iCalendar.

The grammar, time zones (Windows names and VTIMEZONEs included) and recurrence rules are the
libraries' work: icalendar parses, x-wr-timezone fixes Google's X-WR-TIMEZONE calendars,
recurring-ical-events expands series with their moved and cancelled instances. This module turns
what they give into plain `Instance`s in UTC, and keeps one bad event from hiding the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
import x_wr_timezone
from icalendar.timezone.tzid import tzid_from_tzinfo
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations.calendar_values import Attendee, Instance

MAX_INSTANCES = 20_000
# The window is expanded in growing chunks, so a series that repeats every minute stops at the cap
# after a few small chunks instead of materialising a year of copies first.
_FIRST_CHUNK = timedelta(days=1)
_DENSE = 2_000
Window = tuple[datetime, datetime]
_UTC_NAMES = {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ZULU", "UNIVERSAL", "ETC/UNIVERSAL"}


class CalendarDataError(OpenFyxerError):
    """The calendar data could not be read."""

    status = 422
    code = "calendar_invalid"


@dataclass(frozen=True, slots=True)
class Parsed:
    instances: list[Instance]
    skipped: list[str]  # one line per event left out, and one if the cap was reached
    method: str | None  # the iTIP METHOD (REQUEST, CANCEL, REPLY ...)


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError (the API's 422) for a name tzdata does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as e:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/Bucharest'") from e


def aware(name: str, value: datetime) -> datetime:
    """`value` in UTC; ValueError if it is not a datetime with a time zone."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a datetime with a time zone, got {value!r}")
    return value.astimezone(UTC)


def expand(data: str | bytes, start: datetime, end: datetime, *, default_zone: str = "UTC") -> Parsed:
    """Every event instance overlapping [start, end), in start order.

    Floating times and all-day dates are read in `default_zone` (the user's zone). A payload that
    is not iCalendar raises CalendarDataError; an event the libraries cannot read is left out and
    named in `skipped`, the rest still count.
    """
    window = aware("start", start), aware("end", end)
    if window[1] <= window[0]:
        raise ValueError("the window must end after it starts")
    where = zone(default_zone)
    calendar = _parse(data)
    method = str(calendar["METHOD"]).upper() if "METHOD" in calendar else None
    skipped: list[str] = []
    calendar = _standardised(calendar, skipped)
    recurring = _recurring_uids(calendar)
    try:
        instances, full = _collect(calendar, window, where, recurring, MAX_INSTANCES)
    except Exception:  # a stranger's data can trip the libraries anywhere: find the event that did
        instances, full = _one_by_one(calendar, window, where, recurring, skipped)
    if full:
        skipped.append(f"stopped after {MAX_INSTANCES:,} instances: the window holds more (a rule repeating too often?)")
    instances.sort(key=lambda i: (_instant(i.start, where), i.uid, i.recurrence_id or ""))
    return Parsed(instances=instances, skipped=skipped, method=method)


def _parse(data: str | bytes) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as e:  # icalendar mostly raises ValueError, but whatever it raises means "not iCalendar"
        raise CalendarDataError(f"not iCalendar data: {str(e)[:200]}") from e
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise CalendarDataError("not iCalendar data: no VCALENDAR at the top")
    return calendar


def _standardised(calendar: icalendar.Calendar, skipped: list[str]) -> icalendar.Calendar:
    """Google writes UTC times meant in X-WR-TIMEZONE; series must repeat on that zone's wall clock."""
    name = calendar.get("X-WR-TIMEZONE")
    if name is None:
        return calendar
    try:
        zone(str(name))
    except ValueError:
        del calendar["X-WR-TIMEZONE"]
        skipped.append(f"calendar: unknown X-WR-TIMEZONE {str(name)!r} ignored")
        return calendar
    try:
        return x_wr_timezone.to_standard(calendar)
    except Exception:  # recurring_ical_events.of() runs it again per event, where the bad one is found
        return calendar


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    keys = ("RRULE", "RDATE", "RECURRENCE-ID")
    return {str(c.get("UID", "")) for c in calendar.walk("VEVENT") if any(k in c for k in keys)}


def _one_by_one(
    calendar: icalendar.Calendar, window: Window, where: ZoneInfo, recurring: set[str], skipped: list[str]
) -> tuple[list[Instance], bool]:
    """Each UID on its own (with the calendar's VTIMEZONEs), so one bad series hides only itself."""
    instances: list[Instance] = []
    for label, piece in _pieces(calendar):
        room = MAX_INSTANCES - len(instances)
        if room <= 0:
            return instances, True
        try:
            found, full = _collect(piece, window, where, recurring, room)
        except Exception as e:  # see expand()
            skipped.append(f"event {label}: {_reason(e)}")
            continue
        instances += found
        if full:
            return instances, True
    return instances, False


def _pieces(calendar: icalendar.Calendar) -> Iterator[tuple[str, icalendar.Calendar]]:
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    groups: dict[str, list] = {}
    for n, c in enumerate(calendar.subcomponents):
        if c.name == "VEVENT":
            uid = c.get("UID")
            groups.setdefault(repr(str(uid)) if uid is not None else f"#{n + 1} (no UID)", []).append(c)
    for label, events in groups.items():
        piece = icalendar.Calendar()
        piece.update(calendar)  # METHOD, CALSCALE, X-WR-TIMEZONE travel with each piece
        piece.subcomponents = [*zones, *events]
        yield label, piece


def _reason(e: Exception) -> str:
    if isinstance(e, KeyError) and e.args:
        return f"no {e.args[0]}"
    return (str(e) or type(e).__name__)[:200]


def _collect(
    calendar: icalendar.Calendar, window: Window, where: ZoneInfo, recurring: set[str], room: int
) -> tuple[list[Instance], bool]:
    """Up to `room` instances in the window; True as well when there were more."""
    query = recurring_ical_events.of(calendar)
    found: dict[tuple, Instance] = {}
    lo, hi = window
    size = _FIRST_CHUNK
    while lo < hi:
        top = min(lo + size, hi)
        # The library reads dates and floating times in the zone of the window it is given.
        batch = query.between(lo.astimezone(where), top.astimezone(where))
        for component in batch:
            instance = _instance(component, where, recurring)
            # An event across a chunk boundary comes back from both chunks.
            found.setdefault((instance.uid, instance.recurrence_id, instance.start), instance)
        if len(found) > room:
            return list(found.values())[:room], True
        size = size * 4 if len(batch) < _DENSE else max(size / 4, timedelta(hours=1))
        lo = top
    return list(found.values()), False


def _instance(c: icalendar.Event, where: ZoneInfo, recurring: set[str]) -> Instance:
    uid = str(c.get("UID", ""))
    raw_start, raw_end = c["DTSTART"].dt, c["DTEND"].dt  # the library writes DTEND on every copy
    all_day = not isinstance(raw_start, datetime)
    if all_day:
        start, end = raw_start, _day(raw_end)
        end = end if end > start else start + timedelta(days=1)
    else:
        start, end = _instant(raw_start, where), _instant(raw_end, where)
    rid = c["RECURRENCE-ID"].dt if uid in recurring and "RECURRENCE-ID" in c else None
    return Instance(
        uid=uid,
        recurrence_id=None if rid is None else (_instant(rid, where) if isinstance(rid, datetime) else rid).isoformat(),
        start=start,
        end=end,
        all_day=all_day,
        tzid=None if all_day else _zone_name(raw_start),
        summary=str(c.get("SUMMARY", "")),
        description=str(c.get("DESCRIPTION", "")),
        location=str(c.get("LOCATION", "")),
        status=str(c.get("STATUS", "CONFIRMED")).upper(),
        transparent=str(c.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT",
        organizer=_email(c["ORGANIZER"]) if "ORGANIZER" in c else "",
        attendees=tuple(_attendee(a) for a in _as_list(c.get("ATTENDEE"))),
        sequence=_int(c.get("SEQUENCE", 0)),
        is_recurring=uid in recurring,
    )


def _instant(value: datetime | date, where: ZoneInfo) -> datetime:
    """UTC for an aware time; a floating time or a date's midnight is read in `where`."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=where)
    return value.astimezone(UTC)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _zone_name(value: datetime) -> str | None:
    if value.tzinfo is None:
        return None
    # icalendar reads a TZID from tzdata or from the data's VTIMEZONE (a process-wide cache decides
    # which for Windows names): the instant is the same, the name needs mapping in the second case.
    name = getattr(value.tzinfo, "key", None) or tzid_from_tzinfo(value.tzinfo)
    name = WINDOWS_TO_OLSON.get(name, name)
    if not name or name.upper() in _UTC_NAMES:
        return None
    try:  # a custom VTIMEZONE's own TZID is no IANA name: the instant is right, the name unknown
        return zone(name).key
    except ValueError:
        return None


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _email(address: object) -> str:
    text = str(address).strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).lower()


def _attendee(address: object) -> Attendee:
    params = getattr(address, "params", {})
    return Attendee(
        email=_email(address),
        name=str(params.get("CN", "")),
        partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
        role=str(params.get("ROLE", "REQ-PARTICIPANT")).upper(),
    )


def _int(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def to_ics(
    *,
    uid: str,
    start: datetime | date,
    end: datetime | date,
    all_day: bool,
    tzid: str | None,
    summary: str,
    description: str = "",
    location: str = "",
    organizer: str = "",
    attendees: Sequence[Attendee] = (),
    sequence: int = 0,
    method: str | None = None,
    status: str = "CONFIRMED",
    client_schedules: bool = False,
    recurrence_id: datetime | date | None = None,
) -> str:
    """One event as a VCALENDAR, for CalDAV and invitations.

    A timed event is written in `tzid` (with its VTIMEZONE) so that clients show and move it on that
    zone's wall clock; without `tzid` it is written in UTC. An all-day event is a pair of dates.
    `recurrence_id` names one instance of a series (an answer about that instance alone).
    """
    if all_day:
        if isinstance(start, datetime) or isinstance(end, datetime) or not end > start:
            raise ValueError("an all-day event takes dates, and ends (exclusive) after it starts")
        first, last = start, end
    else:
        where = zone(tzid) if tzid else UTC
        first, last = aware("start", start).astimezone(where), aware("end", end).astimezone(where)
        if last < first:
            raise ValueError("the event must not end before it starts")
    event = icalendar.Event.new(
        uid=uid,
        start=first,
        end=last,
        summary=summary,
        description=description or None,
        location=location or None,
        organizer=icalendar.vCalAddress.new(organizer) if organizer else None,
        attendees=[
            icalendar.vCalAddress.new(a.email, cn=a.name or None, partstat=a.partstat, role=a.role) for a in attendees
        ],
        sequence=sequence,
        status=status,
    )
    if recurrence_id is not None:
        rid = recurrence_id.astimezone(UTC) if isinstance(recurrence_id, datetime) else recurrence_id
        event.add("recurrence-id", rid)
    found = event.get("ATTENDEE", [])
    for a in found if isinstance(found, list) else [found]:
        if a.params.get("PARTSTAT") == "NEEDS-ACTION":
            a.params["RSVP"] = "TRUE"
        if client_schedules:
            # RFC 6638: a scheduling server (Nextcloud, iCloud, Fastmail) would otherwise mail the
            # attendees itself, unapproved and a second time: the invitation is the outbox's to send.
            a.params["SCHEDULE-AGENT"] = "CLIENT"
    if client_schedules and "ORGANIZER" in event:
        event["ORGANIZER"].params["SCHEDULE-AGENT"] = "CLIENT"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//OpenFyxer//EN")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
