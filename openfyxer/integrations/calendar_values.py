"""The plain values every calendar source ends in: one event instance and its attendees.

They live below the services so that the JSON calendar APIs (Google, Microsoft Graph), which give
events rather than iCalendar, can hand back the same `Instance` that `services.calendar.timeline`
makes of iCalendar data (timeline re-exports both names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str  # lower-case, without mailto:
    name: str
    partstat: str  # NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED
    role: str


@dataclass(frozen=True, slots=True)
class Instance:
    """One occurrence of an event; (uid, recurrence_id) names it across syncs."""

    uid: str
    recurrence_id: str | None  # a series instance's original start (UTC ISO, or the date); None if one-off
    start: datetime | date  # UTC for a timed event, a date for an all-day one
    end: datetime | date  # exclusive, same type as start
    all_day: bool
    tzid: str | None  # the IANA zone it was written in; None for UTC, floating and all-day
    summary: str
    description: str
    location: str
    status: str
    transparent: bool
    organizer: str
    attendees: tuple[Attendee, ...]
    sequence: int
    is_recurring: bool
    # What a JSON API names the instance by and the version it read, to change it later; "" from iCalendar.
    # Bookkeeping, not the event: two reads of the same event compare equal.
    remote_id: str = field(default="", compare=False)
    etag: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class EventFields:
    """What OpenFyxer writes of an event to a JSON calendar API (new, or a change of these fields)."""

    title: str
    description: str
    location: str
    start: datetime | date  # an aware instant, or a date for an all-day event
    end: datetime | date  # exclusive, same type as start
    all_day: bool
    tzid: str  # the IANA zone the times are written in (an all-day event's: the user's own)
