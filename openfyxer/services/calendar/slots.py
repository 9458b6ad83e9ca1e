"""Free meeting slots: when the user and everybody invited are free, in each one's own working hours.

Working hours are wall-clock times in each person's zone, so each day's ranges are turned into UTC
instants for that date on its own: a DST day is still 09:00-17:00 local, whatever that is in real
hours. Everything after that is arithmetic on sorted, merged UTC intervals. cal.com's slot engine is
the reference for the rules; its bug history is DST bugs, hence the care with local times here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openfyxer.services.calendar import timeline

Interval = tuple[datetime, datetime]
Ranges = tuple[tuple[time, time], ...]
MIDNIGHT = time(0)  # as the end of a range: the end of that day


@dataclass(frozen=True, slots=True)
class WorkingHours:
    zone: str
    days: dict[int, Ranges] = field(hash=False)  # weekday (0 = Monday) -> local ranges; missing = off

    def __post_init__(self) -> None:
        timeline.zone(self.zone)
        for weekday, ranges in self.days.items():
            if weekday not in range(7):
                raise ValueError(f"working hours: weekday {weekday!r} is not 0 (Monday) .. 6 (Sunday)")
            _check_ranges("working hours", ranges)

    @classmethod
    def default(cls, zone: str) -> WorkingHours:
        """Monday to Friday, 09:00-17:00 in `zone`."""
        return cls(zone=zone, days={d: ((time(9), time(17)),) for d in range(5)})


@dataclass(frozen=True, slots=True)
class Person:
    hours: WorkingHours
    busy: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=2)
    max_per_day: int | None = None
    step: timedelta = timedelta(minutes=15)
    preferred: Ranges = ()  # for propose(); free_slots() does not rank

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("the meeting must last longer than zero")
        if self.step <= timedelta(0):
            raise ValueError("the step between slot starts must be longer than zero")
        if min(self.buffer_before, self.buffer_after, self.min_notice) < timedelta(0):
            raise ValueError("buffers and notice cannot be negative")
        if self.max_per_day is not None and self.max_per_day < 0:
            raise ValueError("max_per_day cannot be negative")
        _check_ranges("preferred hours", self.preferred)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime


def free_slots(
    *,
    user: Person,
    others: Sequence[Person] = (),
    start: datetime,
    end: datetime,
    now: datetime,
    rules: Rules,
    meetings_per_day: Mapping[date, int] | None = None,
) -> list[Slot]:
    """Every slot, in time order, that fits everybody's working hours and busy times.

    A slot lies inside [start, end), starts no sooner than now + min_notice and on the `step` grid
    of the user's local clock, keeps buffer_before/buffer_after clear of everybody's busy times, and
    falls on a user-local day with fewer than max_per_day meetings (meetings_per_day, by local date).
    """
    lo, hi, now = timeline.aware("start", start), timeline.aware("end", end), timeline.aware("now", now)
    if hi <= lo:
        raise ValueError("the window must end after it starts")
    own_zone = timeline.zone(user.hours.zone)
    lo = max(lo, now + rules.min_notice)
    free: list[Interval] = [(lo, hi)] if lo < hi else []
    for person in (user, *others):
        if not free:
            return []
        free = _intersect(free, _available(person, lo, hi, rules))
    counts = meetings_per_day or {}
    slots = []
    for s in _starts(free, rules.duration, rules.step, own_zone):
        if rules.max_per_day is None or counts.get(s.astimezone(own_zone).date(), 0) < rules.max_per_day:
            slots.append(Slot(start=s, end=s + rules.duration))
    return slots


def propose(slots: Sequence[Slot], *, zone: str, limit: int = 3, preferred: Ranges = ()) -> list[Slot]:
    """Up to `limit` slots to offer, in time order.

    One per user-local day first, so the offer spreads over days; within a day a slot in the
    preferred hours wins, then the soonest. Second slots of a day come only when there are fewer
    days than `limit`, and no two chosen slots overlap.
    """
    if limit < 0:
        raise ValueError("limit cannot be negative")
    _check_ranges("preferred hours", preferred)
    where = timeline.zone(zone)
    days: dict[date, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.start):
        days.setdefault(slot.start.astimezone(where).date(), []).append(slot)
    for ranked in days.values():
        ranked.sort(key=lambda s: (not _is_preferred(s, where, preferred), s.start))
    chosen: list[Slot] = []
    while len(chosen) < limit:
        before = len(chosen)
        for ranked in days.values():  # one round = at most one more slot per day
            pick = next((s for s in ranked if not any(_overlap(s, c) for c in chosen)), None)
            if pick is not None:
                chosen.append(pick)
            if len(chosen) == limit:
                break
        if len(chosen) == before:
            break
    return sorted(chosen, key=lambda s: s.start)


def _check_ranges(what: str, ranges: Ranges) -> None:
    for a, b in ranges:
        if a.tzinfo is not None or b.tzinfo is not None:
            raise ValueError(f"{what} are local wall-clock times: give them without a time zone")
        if not (a < b or b == MIDNIGHT):
            raise ValueError(f"{what}: {a:%H:%M}-{b:%H:%M} must end after it starts")


def _available(person: Person, lo: datetime, hi: datetime, rules: Rules) -> list[Interval]:
    """Working time minus busy time, each busy interval widened so the buffers stay clear too."""
    busy = []
    for a, b in person.busy:
        a, b = timeline.aware("busy start", a), timeline.aware("busy end", b)
        if b < a:
            raise ValueError(f"busy interval ends before it starts: {a.isoformat()} .. {b.isoformat()}")
        if b == a:
            continue  # a moment (a reminder, a deadline) keeps nobody busy, buffers or not
        # A meeting [s, e) needs [s - before, e + after) clear: the same as keeping the meeting
        # off [busy start - after, busy end + before).
        busy.append((a - rules.buffer_after, b + rules.buffer_before))
    return _subtract(_working(person.hours, lo, hi), _merge(busy))


def _working(hours: WorkingHours, lo: datetime, hi: datetime) -> list[Interval]:
    where = timeline.zone(hours.zone)
    day, last = lo.astimezone(where).date(), hi.astimezone(where).date()
    out = []
    while day <= last:
        for a, b in hours.days.get(day.weekday(), ()):
            top = datetime.combine(day + timedelta(days=1), b) if b == MIDNIGHT else datetime.combine(day, b)
            for s, e in _wall_span(datetime.combine(day, a), top, where):
                if max(s, lo) < min(e, hi):
                    out.append((max(s, lo), min(e, hi)))
        day += timedelta(days=1)  # a date, not an aware datetime: no wall-clock drift
    return _merge(out)


def _wall_span(w0: datetime, w1: datetime, where: ZoneInfo) -> list[Interval]:
    """Every instant whose clock in `where` reads within [w0, w1), exactly, on a DST day too.

    Between the earliest instant that can read w0 and the latest that can read w1 the offset
    changes at most once; on each side of that change the wall clock is UTC plus one offset, so
    the range is one plain interval there. A wall time in the spring gap is never read (the range
    starts at the jump), the autumn's repeated hour is counted once per pass, never doubled.
    """
    lo = min(w0.replace(tzinfo=where, fold=0).astimezone(UTC), w0.replace(tzinfo=where, fold=1).astimezone(UTC))
    hi = max(w1.replace(tzinfo=where, fold=0).astimezone(UTC), w1.replace(tzinfo=where, fold=1).astimezone(UTC))
    if hi <= lo:
        return []
    cuts = [lo, hi]
    if lo.astimezone(where).utcoffset() != hi.astimezone(where).utcoffset():
        cuts.insert(1, _jump(lo, hi, where))
    out = []
    for a, b in zip(cuts, cuts[1:]):
        offset = a.astimezone(where).utcoffset()
        s, e = max(a, (w0 - offset).replace(tzinfo=UTC)), min(b, (w1 - offset).replace(tzinfo=UTC))
        if s < e:
            out.append((s, e))
    return out


def _jump(before: datetime, after: datetime, where: ZoneInfo) -> datetime:
    """The instant in (before, after] where the zone's offset changes: transitions are whole seconds."""
    new = after.astimezone(where).utcoffset()
    lo, hi = int(before.timestamp()), int(after.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(where).utcoffset() == new:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        elif a < b:
            merged.append((a, b))
    return merged


def _subtract(spans: list[Interval], busy: list[Interval]) -> list[Interval]:
    """`spans` minus `busy`, both sorted and merged; bisect skips the busy times before each span."""
    ends = [b for _, b in busy]
    out = []
    for a, b in spans:
        i = bisect_right(ends, a)
        while a < b and i < len(busy) and busy[i][0] < b:
            if busy[i][0] > a:
                out.append((a, busy[i][0]))
            a = max(a, busy[i][1])
            i += 1
        if a < b:
            out.append((a, b))
    return out


def _intersect(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    out, i, j = [], 0, 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def _starts(free: list[Interval], duration: timedelta, step: timedelta, where: ZoneInfo) -> Iterable[datetime]:
    for a, b in free:
        s = _aligned(a, step, where)
        while s + duration <= b:
            yield s
            s = _aligned(s + step, step, where)  # re-aligned: an offset change moves the local grid


def _aligned(u: datetime, step: timedelta, where: ZoneInfo) -> datetime:
    """The first instant at or after `u` whose local clock is on the step grid counted from midnight."""
    local = u.astimezone(where)
    since_midnight = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second,
                               microseconds=local.microsecond)
    rest = since_midnight % step
    return u if not rest else u + (step - rest)


def _overlap(x: Slot, y: Slot) -> bool:
    return x.start < y.end and y.start < x.end


def _is_preferred(slot: Slot, where: ZoneInfo, ranges: Ranges) -> bool:
    s = slot.start.astimezone(where).replace(tzinfo=None)
    e = slot.end.astimezone(where).replace(tzinfo=None)
    for a, b in ranges:
        top = datetime.combine(s.date() + timedelta(days=1), b) if b == MIDNIGHT else datetime.combine(s.date(), b)
        if datetime.combine(s.date(), a) <= s and e <= top:
            return True
    return False
