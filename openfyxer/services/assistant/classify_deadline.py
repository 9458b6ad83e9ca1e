"""Is a request still current? The deadlines an email names, and how old it is. No database.

Cheap on purpose (regular expressions, no model): a deadline is a date after "by", "until",
"due", "deadline", "până la", "termen" ... ("by Friday 3 May 2002", "until 12.03.2024",
"before 2024-03-12", "by May 3"), or a day the sender named relative to when they wrote
("today", "tonight", "by EOD", "by Friday", "tomorrow", "azi", "mâine"). A date the text only
mentions ("after our meeting on 3 March") is not a deadline. Days without a year are placed
on or after the day the email was sent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from openfyxer.services.assistant.classify_text import fold

# A deadline passes at the end of its day, plus half a day: the sender's time zone is unknown.
GRACE = timedelta(hours=12)

_MONTHS = {
    "jan": 1, "january": 1, "ianuarie": 1, "ian": 1, "feb": 2, "february": 2, "februarie": 2, "mar": 3, "march": 3,
    "martie": 3, "apr": 4, "april": 4, "aprilie": 4, "may": 5, "mai": 5, "jun": 6, "june": 6, "iunie": 6,
    "jul": 7, "july": 7, "iulie": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "septembrie": 9,
    "oct": 10, "october": 10, "octombrie": 10, "nov": 11, "november": 11, "noiembrie": 11, "dec": 12,
    "december": 12, "decembrie": 12,
}
_WEEKDAYS = {
    "monday": 0, "mon": 0, "luni": 0, "tuesday": 1, "tue": 1, "tues": 1, "marti": 1, "wednesday": 2, "wed": 2,
    "miercuri": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "joi": 3, "friday": 4, "fri": 4, "vineri": 4,
    "saturday": 5, "sat": 5, "sambata": 5, "sunday": 6, "sun": 6, "duminica": 6,
}


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


def _alternatives(words) -> str:  # noqa: ANN001
    return "|".join(sorted(words, key=len, reverse=True))


_MONTH = rf"(?P<mon>{_alternatives(_MONTHS)})\.?"
_DAY_NAME = rf"(({_alternatives(_WEEKDAYS)})\.?,?\s+)?"  # "Friday, 3 May": the number decides
_LEAD = (r"\b(by|until|till|til|before|no later than|not later than|deadline( is)?|due( by| on| date)?|"
         r"expires?( on)?|closes?( on)?|pana (la|pe|in|cel tarziu)|pana|cel tarziu|inainte de|termen(ul)?( limita)?"
         r"( este| e)?)[:\s]+(on\s+|the\s+|pe\s+|data de\s+)*")
_YEAR = r"(,?\s+(?P<y>\d{4}))?\b"
# The date forms after a lead word; the named groups say which parts were written.
_FORMS = [
    re.compile(_LEAD + r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(_LEAD + _DAY_NAME + r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{2,4})\b"),
    re.compile(_LEAD + _DAY_NAME + r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{2,4})\b"),
    re.compile(_LEAD + _DAY_NAME + r"(?P<d>\d{1,2})(st|nd|rd|th)?\s+(of\s+)?" + _MONTH + _YEAR),
    re.compile(_LEAD + _DAY_NAME + _MONTH + r"\s+(?P<d>\d{1,2})(st|nd|rd|th)?" + _YEAR),
    re.compile(_LEAD + rf"(this\s+|next\s+|the\s+)?(?P<wd>{_alternatives(_WEEKDAYS)})\b(?!\.?,?\s*\d)"),
    re.compile(_LEAD + r"(?P<rel>today|tonight|tomorrow|azi|astazi|diseara|maine)\b"),
]
# Days named without "by": they set a deadline only in a sentence that asks ("please answer today"),
# not in one that tells ("I saw Mark today").
_RELATIVE = re.compile(r"\b(today|tonight|this (morning|afternoon|evening)|azi|astazi|diseara|tomorrow|maine)\b")
_END_OF_DAY = re.compile(r"\b(eod|cob|end of (the )?(business |working )?day|close of business|sfarsitul zilei)\b")
_ASKS = re.compile(r"\b(please|pls|can you|could you|would you|will you|need|must|have to|answer|reply|respond|"
                   r"send|call|confirm|let me know|te rog|va rog|trebuie|raspunde|trimite|suna|confirma)")
_CLAUSE = re.compile(r"[.!?;\n]+")


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _without_year(sent: date, m: int, d: int) -> date | None:
    """The first `d.m` from a month before `sent` on: a deadline named without its year."""
    for y in (sent.year - 1, sent.year, sent.year + 1):
        found = _make(y, m, d)
        if found and found >= sent - timedelta(days=31):
            return found
    return None


def _relative(word: str, sent: date) -> date:
    return sent + timedelta(days=1 if word in ("tomorrow", "maine") else 0)


def _dates(m: re.Match, sent: date | None) -> list[date]:
    g = m.groupdict()
    if g.get("wd") or g.get("rel"):
        if sent is None:
            return []
        if g.get("rel"):
            return [_relative(g["rel"], sent)]
        return [sent + timedelta(days=(_WEEKDAYS[g["wd"]] - sent.weekday()) % 7)]
    year = int(g["y"]) if g.get("y") else None
    if year is not None and year < 100:
        year += 2000
    if year is not None and year < 1900:  # "12.03.202": a typo, not a date
        return []
    if g.get("a"):  # 3/5/2002 is 3 May or March 5: both readings count
        a, b = int(g["a"]), int(g["b"])
        return [d for d in {_make(year, b, a), _make(year, a, b)} if d]
    month, day = (int(g["m"]) if g.get("m") else _MONTHS[g["mon"]]), int(g["d"])
    if year is None:
        found = _without_year(sent, month, day) if sent else None
    else:
        found = _make(year, month, day)
    return [found] if found else []


def deadlines(text: str, *, sent: datetime | None) -> list[tuple[date, str]]:
    """Each deadline the text names: (the day, the words that named it)."""
    folded = fold(text[:5000])
    sent_day = sent.astimezone(UTC).date() if sent else None
    out: list[tuple[date, str]] = []
    for form in _FORMS:
        for m in form.finditer(folded):
            out.extend((d, m.group(0).strip()) for d in _dates(m, sent_day))
    if sent_day is not None:
        for clause in _CLAUSE.split(folded):
            if _END_OF_DAY.search(clause):
                out.append((sent_day, "end of day"))
            if (rel := _RELATIVE.search(clause)) and _ASKS.search(clause):
                out.append((_relative(rel.group(1), sent_day), rel.group(1)))
    return out


def passed_deadline(text: str, *, sent: datetime | None, now: datetime) -> tuple[date, str] | None:
    """The deadline that has passed, when every deadline the text names has; None when one is still
    ahead or none is named (then only the email's age can make it stale)."""
    found = deadlines(text, sent=sent)
    if not found:
        return None
    day, words = max(found)
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1) + GRACE
    return (day, words) if end < now else None


def day_words(day: date) -> str:
    """'3 May 2002'."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def age_words(age: timedelta) -> str:
    """'10 days old', '3 weeks old', '5 months old', '23 years old'."""
    days = max(0, age.days)
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} old"
    if days < 60:
        return f"{days // 7} weeks old"
    if days < 730:
        return f"{days // 30} months old"
    return f"{days // 365} years old"
