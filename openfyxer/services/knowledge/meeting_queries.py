""""When did I last meet Ana?" ("când m-am întâlnit ultima dată cu Ana?"), answered from the calendar
rows by code: the latest instance that has started with that person as organizer or attendee, and the
next one if there is one, each a numbered source of kind "event". No model writes the answer, so the
date is the calendar's, never a guess.

A person is matched by address ("ana@acme.ro"), or by name: the people the knowledge graph knows by
that name (names come from mail headers) and the addresses whose words hold every word of it ("Ana
Pop" is ana.pop@...; "Ana" is not diana@...). Cancelled instances do not count.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from openfyxer.integrations.knowledge_store import get_store
from openfyxer.models.calendar import Calendar, CalendarEvent
from openfyxer.models.knowledge_api import Source
from openfyxer.models.user import User
from openfyxer.services.knowledge import calendar_index
from openfyxer.services.knowledge.inbox_queries import MONTHS, Listing, zone

SCAN = 5000  # instances read, newest first, to find the person's latest one

_NAME = (r"([\w.+'-]+@[\w-]+(?:\.[\w-]+)+|[^\W\d_][\w'-]*"
         r"(?:\s+[A-ZĂÂÎȘŞȚŢ][^\W\d_]*(?:-[^\W\d_]+)?)?)")
_ASK = {
    "en": [re.compile(r"(?i:\bwhen\s+(?:did|have)\s+i\s+(?:last\s+)?(?:meet|met|see|seen|had\s+a\s+meeting)\s+"
                      r"(?:with\s+)?)" + _NAME),
           re.compile(r"(?i:\bwhen\s+was\s+(?:the\s+last\s+time\s+i\s+(?:met|saw)|my\s+last\s+meeting)\s+(?:with\s+)?)"
                      + _NAME),
           re.compile(r"(?i:\b(?:my\s+)?last\s+meeting\s+with\s+)" + _NAME)],
    "ro": [re.compile(r"(?i:\bc[aâ]nd\s+m-am\s+(?:[iî]nt[aâ]lnit|v[aă]zut)\s+(?:ultima\s+(?:dat[aă]|oar[aă])\s+)?cu\s+)"
                      + _NAME),
           re.compile(r"(?i:\bc[aâ]nd\s+(?:am\s+avut|a\s+fost)\s+ultima\s+(?:[iî]nt[aâ]lnire|[sș]edin[tț][aă])\s+cu\s+)"
                      + _NAME),
           re.compile(r"(?i:\bultima\s+(?:mea\s+)?(?:[iî]nt[aâ]lnire|[sș]edin[tț][aă])\s+cu\s+)" + _NAME)],
}
_FIRST = re.compile(r"\b(?:first|prima\s+(?:dat[aă]|oar[aă]))\b", re.I)  # "when did I first meet": not this
_NOT_NAMES = {"him", "her", "them", "me", "you", "us", "everyone", "anyone", "someone", "the", "a", "an", "my",
              "el", "ea", "ei", "ele", "mine", "tine", "cineva", "nimeni", "toți", "toti"}

TEXT = {
    "en": {"last": "Your last meeting with {who} was on {day}:", "next": "The next one is on {day}:",
           "only_next": "You have not met {who} in the calendar's past year; the next meeting is on {day}:",
           "none": "I found no meeting with {who} in your calendar.",
           "no_calendar": "No calendar is connected: connect one on the Calendar page to ask about meetings.",
           "all_day": "all day", "no_title": "(no title)"},
    "ro": {"last": "Ultima întâlnire cu {who} a fost pe {day}:", "next": "Următoarea este pe {day}:",
           "only_next": "Nu te-ai întâlnit cu {who} în ultimul an din calendar; următoarea întâlnire este pe {day}:",
           "none": "Nu am găsit nicio întâlnire cu {who} în calendarul tău.",
           "no_calendar": "Nu ai niciun calendar conectat: conectează unul pe pagina Calendar ca să întrebi despre "
                          "întâlniri.",
           "all_day": "toată ziua", "no_title": "(fără titlu)"},
}


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", (text or "").lower()) if not unicodedata.combining(c))


def match(question: str) -> tuple[str, str] | None:
    """(the person named, the question's language) for a "when did I last meet X" question, else None."""
    question = " ".join((question or "").split())
    if _FIRST.search(question):
        return None
    for lang, patterns in _ASK.items():
        for pattern in patterns:
            if m := pattern.search(question):
                name = m.group(1).strip().strip(".,;:!?'\"")
                if name and _fold(name.split()[0]) not in _NOT_NAMES:
                    return name, lang
    return None


def _addresses(user: User, name: str) -> set[str]:
    """The addresses the knowledge graph knows by this name (or first name)."""
    if "@" in name:
        return {name.lower()}
    return {n.key.lower() for n in get_store().find(str(user.id), "Person", [name], limit=50)}


def _is_them(address: str, name: str, known: set[str]) -> bool:
    if address in known:
        return True
    if "@" in name:
        return False
    local, _, domain = _fold(address).partition("@")
    words = set(re.findall(r"[^\W\d_]+", local))
    return all(w in words for w in re.findall(r"\w+", _fold(name)))


def find(session: Session, *, user: User, name: str,
         now: datetime) -> tuple[CalendarEvent | None, CalendarEvent | None]:
    """The latest instance with the person that has started, and the next one (either may be None)."""
    known, me = _addresses(user, name), (user.email or "").lower()
    base = select(CalendarEvent).where(CalendarEvent.user_id == user.id, CalendarEvent.status != "CANCELLED")

    def first(rows) -> CalendarEvent | None:  # noqa: ANN001
        return next((r for r in rows if any(_is_them(a, name, known) for a in calendar_index.people(r) if a != me)),
                    None)

    last = first(session.exec(base.where(CalendarEvent.start_time <= now)
                              .order_by(CalendarEvent.start_time.desc()).limit(SCAN)).all())
    upcoming = first(session.exec(base.where(CalendarEvent.start_time > now)
                                  .order_by(CalendarEvent.start_time).limit(SCAN)).all())
    return last, upcoming


def _day(event: CalendarEvent, tz: ZoneInfo, lang: str) -> str:
    moment = event.start_time if event.is_all_day else event.start_time.astimezone(tz)
    return f"{moment.day} {MONTHS[lang][moment.month - 1]} {moment.year}"


def _line(n: int, event: CalendarEvent, tz: ZoneInfo, lang: str) -> str:
    words = TEXT[lang]
    if event.is_all_day:
        hours = words["all_day"]
    else:
        hours = f"{event.start_time.astimezone(tz):%H:%M}–{event.end_time.astimezone(tz):%H:%M}"
    where = f", {event.location}" if event.location else ""
    return f"[{n}] {event.title or words['no_title']} — {_day(event, tz, lang)}, {hours}{where}"


def _source(n: int, event: CalendarEvent, tz: ZoneInfo, lang: str) -> Source:
    moment = event.start_time if event.is_all_day else event.start_time.astimezone(tz)
    text = calendar_index.text_of(event, tz)
    return Source(n=n, kind="event", id=event.id, title=event.title or TEXT[lang]["no_title"],
                  date=moment.strftime("%Y-%m-%d"), snippet=" ".join(text.split())[:240], score=1.0)


def answer(session: Session, *, user: User, question: str, now: datetime | None = None) -> Listing | None:
    """The answer to "when did I last meet X?", written from the calendar, or None for any other question."""
    asked = match(question)
    if asked is None:
        return None
    name, lang = asked
    words = TEXT[lang]
    if session.exec(select(Calendar.id).where(Calendar.user_id == user.id).limit(1)).first() is None:
        return Listing(words["no_calendar"], [])
    tz, now = zone(user), now or datetime.now(UTC)
    last, upcoming = find(session, user=user, name=name, now=now)
    if last is None and upcoming is None:
        return Listing(words["none"].format(who=name), [])
    lines, sources = [], []
    for event, heading in ((last, "last"), (upcoming, "next" if last else "only_next")):
        if event is None:
            continue
        n = len(sources) + 1
        lines += [words[heading].format(who=name, day=_day(event, tz, lang)), _line(n, event, tz, lang)]
        sources.append(_source(n, event, tz, lang))
    return Listing("\n".join(lines), sources)
