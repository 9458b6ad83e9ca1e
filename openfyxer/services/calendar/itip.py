"""iTIP objects (RFC 5546) carried by mail (iMIP, RFC 6047): read from an email's calendar parts, and
the REPLY that answers one.

What arrives is a stranger's text: it is read in the sandbox (as calendar data from a server is), and
what comes back are plain values. An object per UID: a REQUEST for a series carries the series and
its moved instances under one UID, and one answer covers them. A part or an event that cannot be read
is left out and named in `skipped`, the rest still count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from openfyxer.core import sandbox
from openfyxer.integrations.calendar_values import Attendee
from openfyxer.services.calendar import timeline

MAX_PART_BYTES = 1_000_000
MAX_EVENTS = 50  # UIDs read from one part: an invitation has one, a forwarded calendar is not one
LIMITS = sandbox.Limits(memory_mb=768, cpu_seconds=20, wall_seconds=30)
METHODS = ("REQUEST", "CANCEL", "REPLY", "PUBLISH", "ADD", "REFRESH", "COUNTER", "DECLINECOUNTER")
PARTSTATS = {"accepted": "ACCEPTED", "tentative": "TENTATIVE", "declined": "DECLINED"}


@dataclass(frozen=True, slots=True)
class Invitation:
    """One UID of an iTIP object: its first (or master) VEVENT's values, in UTC like `Instance`."""

    method: str | None  # None for a stored resource (no METHOD)
    uid: str
    sequence: int
    recurrence_id: str | None  # when the object is about one instance of a series only
    summary: str
    start: datetime | date | None  # a CANCEL or REPLY may leave the times out
    end: datetime | date | None
    all_day: bool
    tzid: str | None
    location: str
    organizer: str  # lower-case address, "" when none
    attendees: tuple[Attendee, ...]
    recurring: bool
    status: str
    data: str  # the VCALENDAR of this UID without METHOD: what a calendar stores

    def attendee(self, addresses: set[str]) -> Attendee | None:
        return next((a for a in self.attendees if a.email in addresses), None)


@dataclass(frozen=True, slots=True)
class Read:
    invitations: list[Invitation]
    skipped: list[str]


# --- in the sandbox ------------------------------------------------------------------------------

def read_parts(datas: list[bytes | str], zone: str = "UTC") -> Read:
    """Every UID of every part (runs in the child). Floating times are read in `zone`."""
    where = timeline.zone(zone)
    found: list[Invitation] = []
    skipped: list[str] = []
    for n, data in enumerate(datas, 1):
        if len(data) > MAX_PART_BYTES:
            skipped.append(f"part {n}: larger than {MAX_PART_BYTES // 1_000_000} MB, not read")
            continue
        try:
            calendar = timeline._parse(data)
        except timeline.CalendarDataError as e:
            skipped.append(f"part {n}: {e}"[:300])
            continue
        method = str(calendar.get("METHOD", "")).upper() or None
        zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
        groups = _groups(calendar, n, skipped)
        for uid, events in list(groups.items())[:MAX_EVENTS]:
            try:
                found.append(_invitation(method, uid, events, zones, where))
            except Exception as e:  # a stranger's event can trip the library anywhere: leave it out
                skipped.append(f"part {n}, event {uid!r}: {timeline._reason(e)}"[:300])
        if len(groups) > MAX_EVENTS:
            skipped.append(f"part {n}: only the first {MAX_EVENTS} events were read")
    return Read(invitations=found, skipped=skipped)


def _groups(calendar: icalendar.Calendar, n: int, skipped: list[str]) -> dict[str, list]:
    groups: dict[str, list] = {}
    for i, c in enumerate(calendar.subcomponents, 1):
        if c.name != "VEVENT":
            continue
        uid = str(c.get("UID", "")).strip()
        if not uid:
            skipped.append(f"part {n}, event #{i}: no UID, so it cannot be answered")
            continue
        groups.setdefault(uid[:500], []).append(c)
    return groups


def _invitation(method: str | None, uid: str, events: list, zones: list, where: ZoneInfo) -> Invitation:
    master = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
    start, end, all_day, tzid = _times(master, where, required=method not in ("CANCEL", "REPLY"))
    rid = master["RECURRENCE-ID"].dt if "RECURRENCE-ID" in master else None
    if isinstance(rid, datetime):
        rid = timeline._instant(rid, where)
    return Invitation(
        method=method, uid=uid, sequence=timeline._int(master.get("SEQUENCE", 0)),
        recurrence_id=rid.isoformat() if rid is not None else None,
        summary=str(master.get("SUMMARY", ""))[:500], start=start, end=end, all_day=all_day, tzid=tzid,
        location=str(master.get("LOCATION", ""))[:500],
        organizer=timeline._email(master["ORGANIZER"]) if "ORGANIZER" in master else "",
        attendees=tuple(timeline._attendee(a) for a in timeline._as_list(master.get("ATTENDEE"))),
        recurring=len(events) > 1 or any("RRULE" in e or "RDATE" in e for e in events),
        status=str(master.get("STATUS", "CONFIRMED")).upper(),
        data=_storable(zones, events),
    )


def _times(c: icalendar.Event, where: ZoneInfo, *, required: bool) -> tuple:
    if "DTSTART" not in c:
        if required:
            raise ValueError("no DTSTART")
        return None, None, False, None
    raw = c["DTSTART"].dt
    if not isinstance(raw, (date, datetime)):
        raise ValueError("DTSTART is not a date or a time")
    if "DTEND" in c:
        raw_end = c["DTEND"].dt
    elif "DURATION" in c:
        raw_end = raw + c["DURATION"].dt
    else:  # RFC 5545 3.6.1: a date lasts the day, a time is an instant
        raw_end = raw + timedelta(days=1) if not isinstance(raw, datetime) else raw
    if not isinstance(raw, datetime):
        end = raw_end.date() if isinstance(raw_end, datetime) else raw_end
        return raw, max(end, raw + timedelta(days=1)), True, None
    start, end = timeline._instant(raw, where), timeline._instant(raw_end, where)
    if end < start:
        raise ValueError("it ends before it starts")
    return start, end, False, timeline._zone_name(raw)


def _storable(zones: list, events: list) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//OpenFyxer//EN")
    calendar.add("version", "2.0")
    calendar.subcomponents = [*zones, *events]
    return calendar.to_ical().decode()


def answered(data: str, address: str, partstat: str) -> str:
    """`data` (a stored resource) with `address` answering `partstat` in each of its VEVENTs (runs in
    the child). The ORGANIZER gets SCHEDULE-AGENT=CLIENT: a scheduling CalDAV server would otherwise
    mail the organizer a REPLY of its own, next to the one the outbox sends."""
    calendar = timeline._parse(data)
    for event in calendar.walk("VEVENT"):
        found = timeline._as_list(event.get("ATTENDEE"))
        mine = [a for a in found if timeline._email(a) == address]
        if not mine:
            mine = [icalendar.vCalAddress(f"mailto:{address}")]
            event.add("attendee", mine[0])
        for a in mine:
            a.params["PARTSTAT"] = partstat
            a.params.pop("RSVP", None)
        if "ORGANIZER" in event:
            event["ORGANIZER"].params["SCHEDULE-AGENT"] = "CLIENT"
    if "METHOD" in calendar:
        del calendar["METHOD"]
    calendar.add_missing_timezones()  # an Outlook TZID without its VTIMEZONE is refused by some servers
    return calendar.to_ical().decode()


# --- in the parent -------------------------------------------------------------------------------

def read(datas: list[bytes | str], zone: str = "UTC") -> Read:
    """`read_parts` in the sandbox; a part that breaks its limits is left out alone."""
    try:
        return sandbox.run(read_parts, datas, zone, limits=LIMITS)
    except sandbox.SandboxError as e:
        if len(datas) == 1:
            return Read([], [f"part 1: left out: {e}"[:300]])
    invitations, skipped = [], []
    for n, data in enumerate(datas, 1):
        one = read([data], zone)
        invitations += one.invitations
        skipped += [s.replace("part 1", f"part {n}", 1) for s in one.skipped]
    return Read(invitations, skipped)


def with_answer(data: str, address: str, partstat: str) -> str:
    """`answered` in the sandbox; data it cannot rewrite is the API's 422, never a 500."""
    try:
        return sandbox.run(answered, data, address, partstat, limits=LIMITS)
    except sandbox.SandboxError as e:
        raise timeline.CalendarDataError(f"the event could not be rewritten: {e}"[:300]) from e


def reply_ics(invitation: Invitation, attendee: Attendee) -> str:
    """The REPLY (RFC 5546 3.2.3): the organizer, only the answering attendee with its PARTSTAT, and the
    UID, SEQUENCE and RECURRENCE-ID of what it answers."""
    if invitation.start is None:
        raise ValueError("an invitation without a start cannot be answered")
    rid = None
    if invitation.recurrence_id:
        rid = (date.fromisoformat(invitation.recurrence_id) if len(invitation.recurrence_id) == 10
               else datetime.fromisoformat(invitation.recurrence_id))
    return timeline.to_ics(
        uid=invitation.uid, start=invitation.start, end=invitation.end, all_day=invitation.all_day,
        tzid=invitation.tzid, summary=invitation.summary, location=invitation.location,
        organizer=f"mailto:{invitation.organizer}", attendees=[attendee],
        sequence=invitation.sequence, method="REPLY", recurrence_id=rid)


def utc(value: datetime | date | None) -> datetime | None:
    """Where the event starts, as an instant (a date at midnight UTC, as the calendar stores it)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
