"""A reply that offers meeting times, for a mail that asks to meet.

The times are the slot engine's, read against the user's calendars; a time the sender named is
taken when it is free. The words are written here, in the sender's language and in the user's own
greeting and sign-off, each time in the sender's zone and, when it differs, the user's: no model
takes part, so none can offer a time the user is not free, or agree to one they did not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import Session, select

from openfyxer.core.errors import ValidationError
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import Calendar, CalendarAccount
from openfyxer.models.draft import REPLACED, Draft
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.assistant import language, style
from openfyxer.services.assistant.classify_text import new_text
from openfyxer.services.calendar import asks, places, scheduling, slots
from openfyxer.services.mail import drafts
from openfyxer.services.mail.emails import get_owned

DEFAULT_MINUTES = 30
SEARCH_AHEAD = timedelta(days=14)  # with nothing named, the next two weeks are offered


@dataclass(frozen=True)
class Offer:
    asks: bool
    named: tuple[asks.NamedTime, ...]
    zone: str  # the sender's, as a label: an IANA name or "UTC+05:30"
    duration_minutes: int
    slots: list[slots.Slot]
    accepted: bool  # the one slot is the time the sender named, and it is free


def zone_of(label: str) -> tzinfo:
    if label.startswith("UTC") and len(label) == 9:  # "UTC+05:30": a Date header's offset, no known zone
        sign = -1 if label[3] == "-" else 1
        return timezone(sign * timedelta(hours=int(label[4:6]), minutes=int(label[7:9])))
    return ZoneInfo(label)


def _offset_label(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def sender_zone(email: Email, stated: str | None, user_zone: str) -> str:
    """The zone the sender's times are in: the one they state; else the city their signature names
    when its zone had their Date header's offset then (a zone, so right across their DST change);
    else that offset (the user's own zone when it had that offset then: a colleague down the hall);
    else the user's."""
    if stated:
        return stated
    city = places.signature_city_zone(new_text(email.body_text or ""))
    if city and email.received_at is not None and places.city_zone_agrees(city, email.received_at,
                                                                          email.sent_utc_offset):
        return city
    if email.sent_utc_offset is None or email.received_at is None:
        return user_zone
    mine = email.received_at.astimezone(ZoneInfo(user_zone)).utcoffset()
    if mine == timedelta(minutes=email.sent_utc_offset):
        return user_zone
    return _offset_label(email.sent_utc_offset)


def read_mail(email: Email, user_zone: str) -> tuple[asks.MeetingAsk, str]:
    """What the mail asks and the sender's zone; days resolved on the sender's own calendar."""
    text = f"{email.subject or ''}\n{new_text(email.body_text or '')}"
    first = asks.read(text, written=(email.received_at or datetime.now(UTC)).date())
    zone = sender_zone(email, first.zone, user_zone)
    written = (email.received_at or datetime.now(UTC)).astimezone(zone_of(zone)).date()
    return asks.read(text, written=written), zone


def find(session: Session, *, user: User, email: Email, duration_minutes: int | None = None,
         now: datetime | None = None) -> Offer:
    now = now or datetime.now(UTC)
    user_zone = user.timezone or "UTC"
    ask, zone = read_mail(email, user_zone)
    minutes = duration_minutes or ask.duration_minutes or DEFAULT_MINUTES
    where = zone_of(zone)
    length = timedelta(minutes=minutes)
    # Their calendar too, where the user's Google or Outlook account can see it (a colleague's).
    guests = [a for a in [email.sender, *(email.cc or [])] if a]
    others, _ = scheduling.attendees(session, user=user, addresses=guests, start=now,
                                     end=now + scheduling.MAX_WINDOW)
    for named in ask.named:
        if named.start is None or named.end is not None:
            continue
        start = datetime.combine(named.day, named.start, where)
        if start > now and (free := scheduling.free_at(session, user=user, start=start, duration_minutes=minutes,
                                                       others=others, now=now)):
            return Offer(ask.asks, ask.named, zone, minutes, [free], accepted=True)
    found: list[slots.Slot] = []
    for named in ask.named:  # the windows the sender named: a day, a part of one, a range
        # An exact time that is not free is searched around, over that whole day.
        first = named.start if named.end is not None else time(0)
        lo = max(datetime.combine(named.day, first, where).astimezone(UTC), now)
        hi = (datetime.combine(named.day, named.end, where) if named.end
              else datetime.combine(named.day + timedelta(days=1), time(0), where)).astimezone(UTC)
        if hi - lo >= length:
            found += scheduling.free_slots(session, user=user, start=lo, end=hi, duration_minutes=minutes,
                                           others=others, now=now)
    if not found:
        found = scheduling.free_slots(session, user=user, start=now, end=now + SEARCH_AHEAD,
                                      duration_minutes=minutes, others=others, now=now)
    prefs = scheduling.prefs_for(session, user)
    chosen = slots.propose(sorted(set(found), key=lambda s: s.start), zone=user_zone, limit=3,
                           preferred=scheduling.preferred(prefs))
    return Offer(ask.asks, ask.named, zone, minutes, chosen, accepted=False)


_WORDS = {
    "en": {"hi": "Hi {name},", "hi_anon": "Hello,", "thanks": "Thanks for getting in touch.",
           "accept": "{slot} works for me. I'll send you an invitation.",
           "offer": "Would one of these times work for you?",
           "none": "I'm fully booked in the next two weeks; could you suggest a time after that?",
           "pick": "Let me know which suits you and I'll send an invitation.",
           "yours": "your time", "mine": "{time} for me", "bye": "Best regards,"},
    "ro": {"hi": "Bună, {name},", "hi_anon": "Bună ziua,", "thanks": "Mulțumesc pentru mesaj.",
           "accept": "{slot} îmi convine. Vă trimit o invitație.",
           "offer": "Vă convine unul dintre aceste intervale?",
           "none": "Sunt ocupat în următoarele două săptămâni; puteți propune un moment de după?",
           "pick": "Spuneți-mi care vă convine și vă trimit o invitație.",
           "yours": "ora dvs.", "mine": "{time} pentru mine", "bye": "Cu stimă,"},
}


def sign_off(lang: str) -> str:
    return _WORDS.get(lang, _WORDS["en"])["bye"]


def describe(slot: slots.Slot, *, zone: str, user_zone: str, lang: str) -> str:
    """One slot as the sender reads it: in their zone, and the user's when it differs."""
    words = _WORDS.get(lang, _WORDS["en"])
    theirs = zone_of(zone)
    a, b = slot.start.astimezone(theirs), slot.end.astimezone(theirs)
    text = f"{format_date(a.date(), 'EEEE d MMMM', locale=lang if lang in _WORDS else 'en')}, {a:%H:%M}–{b:%H:%M}"
    if zone != user_zone:
        mine = ZoneInfo(user_zone)
        m_a, m_b = slot.start.astimezone(mine), slot.end.astimezone(mine)
        day = "" if m_a.date() == a.date() else f"{format_date(m_a.date(), 'EEE d MMM', locale=lang)} "
        label = zone if zone.startswith("UTC") else zone.rsplit("/", 1)[-1].replace("_", " ")
        text += f" ({label}, {words['yours']}; {words['mine'].format(time=f'{day}{m_a:%H:%M}–{m_b:%H:%M}')})"
    return text


def compose(offer: Offer, *, lang: str, sender_name: str, user_zone: str, voice: dict | None) -> str:
    words = _WORDS.get(lang, _WORDS["en"])
    voice = voice or {}
    name = (sender_name or "").split()[0] if sender_name else ""
    greeting = voice.get("greeting")
    hello = (f"{greeting} {name}," if greeting and name else f"{greeting}," if greeting
             else words["hi"].format(name=name) if name else words["hi_anon"])
    lines = [hello, "", words["thanks"], ""]
    if offer.accepted:
        lines.append(words["accept"].format(slot=describe(offer.slots[0], zone=offer.zone, user_zone=user_zone,
                                                          lang=lang)))
    elif offer.slots:
        lines += [words["offer"], ""]
        lines += [f"- {describe(s, zone=offer.zone, user_zone=user_zone, lang=lang)}" for s in offer.slots]
        lines += ["", words["pick"]]
    else:
        lines.append(words["none"])
    lines += ["", voice.get("sign_off") or words["bye"]]
    if voice.get("signature"):
        lines += [voice["signature"]]
    return "\n".join(lines)


def default_calendar(session: Session, user: User) -> Calendar | None:
    """Where a booked meeting goes: the first calendar shown and counted as busy that takes writes, a
    CalDAV one first; failing that, one it reads (booking then says the calendar is read-only)."""
    return session.exec(select(Calendar).join(CalendarAccount, CalendarAccount.id == Calendar.account_id)
                        .where(Calendar.user_id == user.id, Calendar.visible, Calendar.busy)
                        .order_by(Calendar.writable.desc(), CalendarAccount.provider != "caldav", Calendar.created_at,
                                  Calendar.name)).first()


def wants_times(session: Session, *, user: User, email: Email) -> bool:
    """An automatic reply offers times when the mail asks to meet and the user has a calendar to read."""
    if default_calendar(session, user) is None:
        return False
    ask, _ = read_mail(email, user.timezone or "UTC")
    return ask.asks


def offer_times(session: Session, *, user: User, email_id: uuid.UUID, duration_minutes: int | None = None,
                title: str | None = None, now: datetime | None = None, ip: str | None = None) -> Draft:
    """The reply draft offering times (it takes the place of a pending reply to that email)."""
    email = get_owned(session, user=user, email_id=email_id)
    if not email.sender:
        raise ValidationError("the email has no sender to offer times to")
    offer = find(session, user=user, email=email, duration_minutes=duration_minutes, now=now)
    account = session.get(EmailAccount, email.account_id)
    user_zone = user.timezone or "UTC"
    own = new_text(email.body_text or "")
    lang = language.detect(language.without_names(f"{email.subject or ''}\n{own}", [email.sender_name or ""]))
    lang = lang if lang in _WORDS else "en"
    voice = style.for_language(style.profile_for(session, user=user), lang)
    text = compose(offer, lang=lang, sender_name=email.sender_name or "", user_zone=user_zone, voice=voice)
    for old in session.exec(select(Draft).where(Draft.email_id == email.id, Draft.status == "pending")).all():
        drafts.reject(session, user=user, draft_id=old.id, reason=REPLACED, ip=ip)
    cal = default_calendar(session, user)
    draft = Draft(
        user_id=user.id, account_id=account.id, email_id=email.id, content=text, generated_content=text,
        to_addresses=list(email.reply_to or []) or [email.sender], subject=drafts.reply_subject(email.subject),
        in_reply_to=email.message_id, references=[*(email.references or []), email.message_id][-20:],
        language=lang, status="pending", llm_model="scheduling",
        meeting={"slots": [[s.start.isoformat(), s.end.isoformat()] for s in offer.slots],
                 "duration_minutes": offer.duration_minutes, "zone": offer.zone, "accepted": offer.accepted,
                 "title": title or meeting_title(email, account), "calendar_id": str(cal.id) if cal else None},
    )
    session.add(draft)
    session.flush()
    audit.record(session, action="draft.offer_times", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"email_id": str(email.id), "slots": len(offer.slots), "accepted": offer.accepted}, ip=ip)
    return draft


def meeting_title(email: Email, account: EmailAccount) -> str:
    subject = " ".join((email.subject or "").split())
    while subject.lower().startswith(("re:", "fwd:", "fw:")):
        subject = subject.split(":", 1)[1].strip()
    who = email.sender_name or email.sender or ""
    return (subject or f"Meeting with {who}")[:200]
