"""When an action item is due, read by code from what was said, against the meeting's own day.

The model only points at the words ("due: by Friday"); the date is worked out here with the same
reader that reads times in mail (services/calendar/asks.py, English and Romanian), from the meeting's
day in the user's zone: "by Friday" said on a Wednesday is that week's Friday, "next Tuesday" is the
Tuesday of the week after. A date the model names that the cited lines do not say is not taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from openfyxer.services.calendar import asks


@dataclass(frozen=True)
class Due:
    day: date | None
    at: time | None = None
    words: str | None = None


def meeting_day(started_at: datetime, zone: str | None) -> date:
    """The meeting's date on the user's clock: what "tomorrow" in it means."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return started_at.astimezone(tz).date()


def _named(text: str, day: date) -> list[asks.NamedTime]:
    return [n for n in asks.read(text or "", written=day).named if n.day >= day]


def resolve(words: str | None, cited: str, day: date) -> Due:
    """The due date of an item whose model-given due words are `words` and whose cited lines read
    `cited`. The words' date must be one the cited lines name; when the words cannot be read as a date
    but the lines name exactly one, that one is taken."""
    said = _named(cited, day)
    if not words:
        return Due(None)
    days = {n.day for n in said}
    for named in _named(words, day):
        if named.day in days:
            spoken = next((n for n in said if n.day == named.day and n.start), None)
            at = named.start or (spoken.start if spoken else None)
            return Due(named.day, at, words)
    if _named(words, day):
        return Due(None, None, words)  # a date the meeting did not say: not ours to keep
    if len(days) == 1:
        only = said[0]
        return Due(only.day, only.start, only.words or words)
    return Due(None, None, words)


def remind_at(day: date, at: time | None, zone: str | None, hour: int = 9) -> datetime:
    """When to remind of an item due on `day`: at its time, else at `hour` that morning, user's zone."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return datetime.combine(day, at or time(hour), tzinfo=tz).astimezone(ZoneInfo("UTC"))
