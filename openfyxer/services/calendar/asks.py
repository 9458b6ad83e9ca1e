"""Does an email ask to meet, and which times does it name? Read by code, in English and Romanian.

The times are read on the sender's clock (the mail's own date, in their zone): "tomorrow at 3pm"
in a mail written on Monday evening in New York is Tuesday 15:00 New York time, whatever the
user's zone. A model never reads or writes a time: what is not recognised here is not a time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MORNING, AFTERNOON, EVENING = (time(9), time(12)), (time(13), time(17)), (time(17), time(19))
_PARTS = {"morning": MORNING, "afternoon": AFTERNOON, "evening": EVENING, "dimineata": MORNING,
          "dimineață": MORNING, "dupa-amiaza": AFTERNOON, "dupa amiaza": AFTERNOON, "dupa-masa": AFTERNOON,
          "dupa masa": AFTERNOON, "seara": EVENING}

_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
             "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
             "luni": 0, "marti": 1, "martea": 1, "miercuri": 2, "miercurea": 2, "joi": 3, "joia": 3,
             "vineri": 4, "vinerea": 4, "sambata": 5, "duminica": 6}
_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
           "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
           "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
           "ianuarie": 1, "februarie": 2, "martie": 3, "aprilie": 4, "mai": 5, "iunie": 6, "iulie": 7,
           "septembrie": 9, "octombrie": 10, "noiembrie": 11, "decembrie": 12, "ian": 1, "iun": 6, "iul": 7,
           "noi": 11}

# Asking to meet: a meeting word in a sentence that asks ("?", "let's", "could we", "are you free").
_MEET = re.compile(
    r"\b(meet(ing|up)?|call|catch[ -]up|chat|talk|speak|sync|get together|coffee|zoom|teams|hangout|demo|"
    r"interview|intalni(m|re)?|intalnire|vedem|vorbi(m)?|discuti[ea]|discutam|apel|call|cafea|auzim|sedinta)\b")
_ASKING = re.compile(
    r"\?|\b(let'?s|could we|can we|shall we|should we|would you|are you (free|available)|do you have (time|a few)|"
    r"when (are|would) you|what time|schedule|set up|book|find a time|available|free (on|at|for|next|this|tomorrow)|"
    r"hai sa|putem|ai putea|ati putea|sunteti (liber|disponibil)|esti (liber|disponibil)|aveti timp|ai timp|"
    r"programam|stabilim|disponibil)")

_DURATION = re.compile(r"\b(\d{1,3})[ -]?(min(ute)?s?|minut(e)?)\b|\b(an|one|o|1) (hour|ora)\b|"
                       r"\bhalf an hour\b|\bjumatate de ora\b|\b(\d)[ -]?(hours?|ore)\b")

_ZONES = {"cet": "Europe/Berlin", "cest": "Europe/Berlin", "eet": "Europe/Bucharest", "eest": "Europe/Bucharest",
          "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
          "eastern": "America/New_York", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
          "pt": "America/Los_Angeles", "pacific": "America/Los_Angeles", "cst": "America/Chicago",
          "cdt": "America/Chicago", "central": "America/Chicago", "mst": "America/Denver", "mdt": "America/Denver",
          "bst": "Europe/London", "gmt": "Europe/London", "uk time": "Europe/London", "london time": "Europe/London",
          "utc": "UTC", "ora romaniei": "Europe/Bucharest", "romanian time": "Europe/Bucharest",
          "bucharest time": "Europe/Bucharest", "ora bucurestiului": "Europe/Bucharest",
          "new york time": "America/New_York", "paris time": "Europe/Paris", "berlin time": "Europe/Berlin"}
_ZONE = re.compile(r"(?<![\w/])(" + "|".join(sorted(map(re.escape, _ZONES), key=len, reverse=True)) + r")(?![\w/])")

_CLOCK = r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
_TIME = re.compile(
    rf"\b(?:at|@|around|by|from|la|ora|la ora|in jur de|pe la|dupa ora|intre|between)?\s*{_CLOCK}"
    rf"(?:\s*(?:-|–|to|and|si|pana la)\s*{_CLOCK})?(?![\w:])")
_NOON = re.compile(r"\b(noon|midday|pranz|la pranz)\b")
_DAY = re.compile(
    r"\b(today|tonight|tomorrow|day after tomorrow|azi|astazi|maine|poimaine)\b"
    r"|\b(?:(next|this|coming|on)\s+)?(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b"
    r"(\s+(viitoare|viitor|urmatoare|urmator|asta|aceasta|next week))?"
    r"|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
    r"|\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(20\d\d)-(\d\d)-(\d\d)\b"
    r"|\b(next week|saptamana viitoare)\b")
_PART = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _PARTS), key=len, reverse=True)) + r")\b")
_SENTENCES = re.compile(r"(?<=[.!?\n])\s+")


@dataclass(frozen=True)
class NamedTime:
    """A time the sender named: a day, and an exact time or a span of that day (a part of it, a range).
    `start` without `end` is an exact start; with `end`, a window to find a slot in."""

    day: date
    start: time | None = None
    end: time | None = None
    words: str = ""


@dataclass(frozen=True)
class MeetingAsk:
    asks: bool
    named: tuple[NamedTime, ...] = ()
    duration_minutes: int | None = None
    zone: str | None = None  # an IANA zone the text states ("3pm EST", "ora României")


def fold(text: str) -> str:
    """Lower case without diacritics (ș, ş and ț, ţ alike): Romanian is often written without them."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")


def read(text: str, *, written: date) -> MeetingAsk:
    """What `text` (the sender's own words, quotes removed) asks; days are resolved from `written`,
    the date the mail was written on the sender's clock."""
    folded = fold(text)
    sentences = [s for s in _SENTENCES.split(folded) if s.strip()]
    asks = any(_MEET.search(s) and _ASKING.search(s) for s in sentences)
    named: list[NamedTime] = []
    for sentence in sentences:
        named.extend(_named(sentence, written))
    zone = _ZONE.search(folded)
    return MeetingAsk(asks=asks, named=tuple(dict.fromkeys(named)), duration_minutes=_duration(folded),
                      zone=_ZONES[zone.group(1)] if zone else None)


def _duration(text: str) -> int | None:
    m = _DURATION.search(text)
    if not m:
        return None
    if m.group(1):
        minutes = int(m.group(1))
    elif m.group(5):
        minutes = 60
    elif m.group(7):
        minutes = 60 * int(m.group(7))
    else:
        minutes = 30
    return minutes if 5 <= minutes <= 8 * 60 else None


def _named(sentence: str, written: date) -> list[NamedTime]:
    found = [(m, d) for m in _DAY.finditer(sentence) if (d := _day(m, written))]
    days = [(m.start(), d, m.group(0)) for m, d in found]
    if not days:
        return []
    taken = [range(m.start(), m.end()) for m, _ in found]  # "2027-01-05" holds no "1-5" range of hours
    spans = [(m.start(), *span, m.group(0).strip()) for m in _TIME.finditer(sentence)
             if not any(m.start() in r or m.end() - 1 in r for r in taken) and (span := _span(m))]
    spans += [(m.start(), time(12), None, m.group(0)) for m in _NOON.finditer(sentence)]
    spans += [(m.start(), *_PARTS[m.group(1)], m.group(1)) for m in _PART.finditer(sentence)]
    spans.sort(key=lambda s: s[0])
    if not spans:
        return [NamedTime(day=d, words=w) for _, d, w in days]
    if len(days) == 1:
        return [NamedTime(day=days[0][1], start=s, end=e, words=f"{days[0][2]} {w}") for _, s, e, w in spans]
    if len(spans) == 1:
        _, s, e, w = spans[0]
        return [NamedTime(day=d, start=s, end=e, words=f"{dw} {w}") for _, d, dw in days]
    # Several days and several times: each time belongs to the day said last before it ("Monday at
    # 10 or Tuesday at 3"), a time before every day to the first day.
    out = []
    for pos, s, e, w in spans:
        before = [d for d in days if d[0] < pos] or days[:1]
        out.append(NamedTime(day=before[-1][1], start=s, end=e, words=f"{before[-1][2]} {w}"))
    return out


def _day(m: re.Match, written: date) -> date | None:
    g = m.groups()
    if g[0]:
        return written + timedelta(days={"today": 0, "tonight": 0, "azi": 0, "astazi": 0, "tomorrow": 1, "maine": 1,
                                         "day after tomorrow": 2, "poimaine": 2}[g[0]])
    if g[2]:
        ahead = (_WEEKDAYS[g[2]] - written.weekday()) % 7 or 7
        later_week = g[1] == "next" or (g[4] or "").strip() in ("viitoare", "viitor", "urmatoare", "urmator",
                                                               "next week")
        if later_week:  # "next Tuesday": the Tuesday of next week, even when this week's is still to come
            monday = written - timedelta(days=written.weekday()) + timedelta(days=7)
            return monday + timedelta(days=_WEEKDAYS[g[2]])
        return written + timedelta(days=ahead)
    if g[5] or g[8]:
        day, month = (int(g[5]), _MONTHS[g[6]]) if g[5] else (int(g[8]), _MONTHS[g[7]])
        return _next_date(written, month, day)
    if g[9]:
        try:
            return date(int(g[9]), int(g[10]), int(g[11]))
        except ValueError:
            return None
    return None  # "next week" alone names no day


def _next_date(written: date, month: int, day: int) -> date | None:
    for year in (written.year, written.year + 1):  # "5 January" written in December is next year's
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= written - timedelta(days=1):
            return found
    return None


def _span(m: re.Match) -> tuple[time, time | None] | None:
    h1, m1, ap1, h2, m2, ap2 = m.groups()
    bare = not (m1 or ap1 or h2) and not re.match(r"\s*(at|@|around|by|from|la|ora|la ora|in jur de|pe la|dupa ora)\b",
                                                  m.group(0))
    if bare:  # a lone number ("3 people", "2 options") is not a time
        return None
    start = _clock(h1, m1, ap1 or ap2)
    if start is None:
        return None
    if h2 is None:
        return start, None
    end = _clock(h2, m2, ap2 or ap1)
    if end is None or end <= start:
        return None
    return start, end


def _clock(hour: str, minute: str | None, ampm: str | None) -> time | None:
    h, mi = int(hour), int(minute or 0)
    if mi > 59:
        return None
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm.startswith("p") else 0)
    elif 1 <= h <= 7 and not hour.startswith("0"):
        h += 12  # "at 3" in a meeting ask is the afternoon: nobody proposes 03:00 (but "03:00" is written so)
    if h > 23:
        return None
    return time(h, mi)


def sender_clock(sent: datetime, offset_minutes: int | None) -> datetime:
    """When the mail was written on the sender's own clock (their Date header's offset)."""
    from datetime import timezone

    return sent.astimezone(timezone(timedelta(minutes=offset_minutes or 0)))
