"""Free slots for a user: their working hours and rules from Settings, the busy time of every
calendar that counts, and the slot engine. Times come from here only; a model may choose among the
slots and phrase them, never make one up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from openfyxer.core.errors import ValidationError
from openfyxer.models.settings import WEEKDAYS, SchedulingPrefs
from openfyxer.models.user import User
from openfyxer.services import settings as user_settings
from openfyxer.services.calendar import events, freebusy, slots

MAX_SLOTS = 200
MAX_WINDOW = timedelta(days=62)  # a search is for the weeks ahead; a wider one costs without helping


def _ranges(texts: list[str]) -> tuple[tuple[time, time], ...]:
    out = []
    for r in texts:
        start, end = r.split("-")
        # "24:00" closes a day: the engine reads midnight as an end as the end of the day.
        out.append((time.fromisoformat(start), slots.MIDNIGHT if end == "24:00" else time.fromisoformat(end)))
    return tuple(out)


def working_hours(prefs: SchedulingPrefs, zone: str) -> slots.WorkingHours:
    return slots.WorkingHours(zone=zone, days={WEEKDAYS.index(day): _ranges(ranges)
                                               for day, ranges in prefs.hours.items() if ranges})


def rules_for(prefs: SchedulingPrefs, duration_minutes: int) -> slots.Rules:
    return slots.Rules(duration=timedelta(minutes=duration_minutes),
                       buffer_before=timedelta(minutes=prefs.buffer_before_minutes),
                       buffer_after=timedelta(minutes=prefs.buffer_after_minutes),
                       min_notice=timedelta(minutes=prefs.min_notice_minutes), max_per_day=prefs.max_per_day,
                       preferred=_ranges(prefs.preferred))


def free_slots(session: Session, *, user: User, start: datetime, end: datetime, duration_minutes: int,
               others: list[slots.Person] = (), now: datetime | None = None,
               limit: int = MAX_SLOTS) -> list[slots.Slot]:
    """The user's free slots of `duration_minutes` in [start, end), chronological; `others` are
    attendees whose hours and busy time are known (their own servers' free/busy)."""
    if not 5 <= duration_minutes <= 8 * 60:
        raise ValidationError("a meeting lasts from 5 minutes to 8 hours")
    if start.tzinfo is None or end.tzinfo is None or not timedelta(0) < end - start <= MAX_WINDOW:
        raise ValidationError(f"from and to need an offset, to after from, at most {MAX_WINDOW.days} days apart")
    prefs = user_settings.scheduling_prefs(user_settings.get_or_create(session, user_id=user.id))
    zone = user.timezone or "UTC"
    # Wider than the window: a meeting just outside it still needs its buffer.
    margin = timedelta(minutes=max(prefs.buffer_before_minutes, prefs.buffer_after_minutes) + 60)
    busy = events.busy(session, user=user, start=start - margin, end=end + margin,
                       count_tentative=prefs.count_tentative)
    me = slots.Person(hours=working_hours(prefs, zone), busy=tuple(busy))
    try:
        found = slots.free_slots(user=me, others=list(others), start=start.astimezone(UTC), end=end.astimezone(UTC),
                                 now=now or datetime.now(UTC), rules=rules_for(prefs, duration_minutes),
                                 meetings_per_day=_per_day(busy, zone) if prefs.max_per_day else None)
    except ValueError as e:  # the engine's own check of what it was given
        raise ValidationError(str(e)) from e
    return found[:limit]


def attendees(session: Session, *, user: User, addresses: list[str], start: datetime, end: datetime
              ) -> tuple[list[slots.Person], list[str]]:
    """The attendees' calendars as their providers show them to the user, and whom none could show."""
    prefs = prefs_for(session, user)
    return freebusy.people(session, user=user, addresses=addresses, start=start, end=end,
                           count_tentative=prefs.count_tentative)


def prefs_for(session: Session, user: User) -> SchedulingPrefs:
    return user_settings.scheduling_prefs(user_settings.get_or_create(session, user_id=user.id))


def preferred(prefs: SchedulingPrefs) -> tuple[tuple[time, time], ...]:
    return _ranges(prefs.preferred)


def free_at(session: Session, *, user: User, start: datetime, duration_minutes: int,
            others: list[slots.Person] = (), now: datetime | None = None) -> slots.Slot | None:
    """The slot starting exactly at `start` when it is free (hours, buffers, notice, cap, everyone's
    busy time), else None: a time someone named, or one picked from an offer made earlier."""
    start = start.astimezone(UTC)
    found = free_slots(session, user=user, start=start, end=start + timedelta(minutes=duration_minutes),
                       duration_minutes=duration_minutes, others=others, now=now, limit=1)
    return found[0] if found and found[0].start == start else None


def _per_day(busy: list[tuple[datetime, datetime]], zone: str) -> dict[date, int]:
    tz = ZoneInfo(zone)
    return dict(Counter(a.astimezone(tz).date() for a, _ in busy))


def proposals(session: Session, *, user: User, start: datetime, end: datetime, duration_minutes: int,
              count: int = 3, others: list[slots.Person] = (), now: datetime | None = None) -> list[slots.Slot]:
    """Up to `count` slots to offer: spread over days, preferred hours first, soonest first."""
    prefs = user_settings.scheduling_prefs(user_settings.get_or_create(session, user_id=user.id))
    found = free_slots(session, user=user, start=start, end=end, duration_minutes=duration_minutes, others=others,
                       now=now)
    return slots.propose(found, zone=user.timezone or "UTC", limit=count, preferred=_ranges(prefs.preferred))
