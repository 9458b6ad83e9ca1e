"""Booking an offered time: the event on the user's calendar, and its invitation as a draft.

The invitation (iMIP, RFC 6047: METHOD:REQUEST, the user as ORGANIZER, the others as ATTENDEEs
asked to reply) waits in the outbox like any reply: nothing leaves before the user approves it, and
the outbox sends it exactly once. A time is booked when the user picks it on the email page, or when
the sender's answer names exactly one of the times offered ("Tuesday at 10 works").
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from openfyxer.core.errors import Conflict, ValidationError
from openfyxer.integrations.calendar_values import Attendee
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import CalendarEvent, EventWrite
from openfyxer.models.draft import REPLACED, Draft
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.assistant.classify_text import new_text
from openfyxer.services.calendar import asks, editing, offers, scheduling, slots, timeline
from openfyxer.services.mail import drafts

_INVITE = {
    "en": {"subject": "Invitation: {title} @ {when}", "body": "Hi,\n\nHere is the invitation for {title}:\n{when}"
           "\n\nAccept or decline it in your calendar.\n\n{bye}"},
    "ro": {"subject": "Invitație: {title} @ {when}", "body": "Bună ziua,\n\nVă trimit invitația pentru {title}:\n"
           "{when}\n\nO puteți accepta sau refuza din calendar.\n\n{bye}"},
}


def _offer_of(session: Session, user: User, draft_id: uuid.UUID) -> Draft:
    draft = drafts.get(session, user=user, draft_id=draft_id)
    if not draft.meeting.get("duration_minutes"):  # an invitation, or a reply that offered nothing
        raise ValidationError("this draft offers no meeting times", code="not_an_offer")
    if draft.meeting.get("event_id"):
        raise Conflict("this meeting is already booked", code="meeting_booked")
    return draft


def book(session: Session, *, user: User, draft_id: uuid.UUID, start: datetime,
         calendar_id: uuid.UUID | None = None, answer: Email | None = None, now: datetime | None = None,
         ip: str | None = None) -> tuple[CalendarEvent, Draft]:
    """The event at `start` (a time that is free now: the calendar may have filled since the offer),
    and the pending invitation draft. `answer` is the sender's reply that chose it, if one did."""
    offer = _offer_of(session, user, draft_id)
    meeting = offer.meeting
    minutes = int(meeting["duration_minutes"])
    if start.tzinfo is None:
        raise ValidationError("start needs an offset")
    start = start.astimezone(UTC)
    if scheduling.free_at(session, user=user, start=start, duration_minutes=minutes, now=now) is None:
        raise Conflict("that time is no longer free in your calendar (or outside your working hours): pick another",
                       code="slot_taken")
    target = calendar_id or (uuid.UUID(meeting["calendar_id"]) if meeting.get("calendar_id") else None)
    if target is None:
        raise ValidationError("connect a calendar first: the meeting needs one to go in", code="no_calendar")
    account = session.get(EmailAccount, offer.account_id)
    organizer = account.email_address.lower()
    guests = [a for a in dict.fromkeys([*offer.to_addresses, *offer.cc_addresses]) if a.lower() != organizer]
    attendees = [Attendee(email=organizer, name=account.display_name or "", partstat="ACCEPTED", role="CHAIR"),
                 *(Attendee(email=a, name="", partstat="NEEDS-ACTION", role="REQ-PARTICIPANT") for a in guests)]
    title = meeting.get("title") or "Meeting"
    zone = user.timezone or "UTC"
    end = start + timedelta(minutes=minutes)
    uid = f"{uuid.uuid4()}@openfyxer"
    event = editing.create_event(
        session, user=user, organizer=f"mailto:{organizer}", attendees=attendees, uid=uid,
        data=EventWrite(calendar_id=target, title=title, start=start, end=end, tzid=zone))
    uid = event.uid  # Google and Outlook name the event themselves: the invitation must carry their UID
    ics = timeline.to_ics(uid=uid, start=start, end=end, all_day=False, tzid=zone, summary=title,
                          organizer=f"mailto:{organizer}", attendees=attendees, method="REQUEST")
    invite = _invitation(offer, account, ics=ics, title=title, slot=slots.Slot(start, end), answer=answer,
                         guests=guests, event=event, user_zone=zone)
    session.add(invite)
    if offer.status == "pending":  # offering times is moot once one is booked
        drafts.reject(session, user=user, draft_id=offer.id, reason=REPLACED, ip=ip)
    offer.meeting = {**meeting, "event_id": str(event.id), "uid": uid, "invitation_id": str(invite.id)}
    session.add(offer)
    session.flush()
    audit.record(session, action="meeting.book", user_id=user.id, entity_type="draft", entity_id=invite.id,
                 details={"offer": str(offer.id), "event": str(event.id), "start": start.isoformat(),
                          "by": "answer" if answer else "user"}, ip=ip)
    return event, invite


def _invitation(offer: Draft, account: EmailAccount, *, ics: str, title: str, slot: slots.Slot, answer: Email | None,
                guests: list[str], event: CalendarEvent, user_zone: str) -> Draft:
    lang = offer.language if offer.language in _INVITE else "en"
    words = _INVITE[lang]
    when = offers.describe(slot, zone=offer.meeting.get("zone") or user_zone, user_zone=user_zone, lang=lang)
    bye = offers.sign_off(lang)
    in_reply_to = answer.message_id if answer else offer.in_reply_to
    references = [*(answer.references or []), answer.message_id][-20:] if answer else list(offer.references or [])
    return Draft(
        user_id=offer.user_id, account_id=account.id, email_id=(answer.id if answer else offer.email_id),
        to_addresses=guests, subject=words["subject"].format(title=title, when=when)[:900],
        content=words["body"].format(title=title, when=when, bye=bye), status="pending", language=lang,
        llm_model="scheduling", in_reply_to=in_reply_to, references=references, calendar_ics=ics,
        calendar_method="REQUEST", created_at=datetime.now(UTC),
        meeting={"event_id": str(event.id), "uid": event.uid, "start": slot.start.isoformat(),
                 "end": slot.end.isoformat(), "from_offer": str(offer.id)},
    )


def chosen(answer: Email, offer: Draft) -> datetime | None:
    """The one offered time the sender's answer names, or None when it names none or several."""
    zone = offer.meeting.get("zone") or "UTC"
    where = offers.zone_of(zone)
    offered = [datetime.fromisoformat(a) for a, _ in offer.meeting.get("slots", [])]
    if not offered:
        return None
    written = (answer.received_at or datetime.now(UTC)).astimezone(where).date()
    read = asks.read(new_text(answer.body_text or ""), written=written)
    hits = set()
    for named in read.named:
        for start in offered:
            local = start.astimezone(where)
            if local.date() != named.day:
                continue
            if named.start is None or (named.end is None and named.start == local.time()) or (
                    named.end is not None and named.start <= local.time() < named.end):
                hits.add(start)
    ordinal = _ordinal(new_text(answer.body_text or ""))
    if not hits and ordinal is not None and ordinal < len(offered):
        hits.add(offered[ordinal])
    return hits.pop() if len(hits) == 1 else None


_ORDINALS = (("first", "prima", "primul", "1st"), ("second", "a doua", "al doilea", "2nd"),
             ("third", "a treia", "al treilea", "3rd"))


def _ordinal(text: str) -> int | None:
    folded = asks.fold(text)
    found = {i for i, words in enumerate(_ORDINALS) for w in words
             if f"{w} one" in folded or f"{w} option" in folded or f"{w} slot" in folded
             or f"{w} varianta" in folded or f"{w} optiune" in folded or f"{w} interval" in folded}
    return found.pop() if len(found) == 1 else None


def _answered_offer(session: Session, user: User, email: Email) -> Draft | None:
    named = {email.in_reply_to, *(email.references or [])} - {None}
    if not named:
        return None
    offer = session.exec(select(Draft).where(Draft.user_id == user.id, Draft.status == "sent",
                                             Draft.message_id.in_(named))
                         .order_by(Draft.sent_at.desc())).first()
    if offer is None or not offer.meeting.get("slots") or offer.meeting.get("event_id"):
        return None
    return offer


def answers_an_offer(session: Session, *, user: User, email: Email) -> bool:
    """Whether `email` replies to sent times not yet booked (a cheap look, before a job reads it)."""
    return _answered_offer(session, user, email) is not None


def answer_received(session: Session, *, user: User, email: Email) -> CalendarEvent | None:
    """A new mail in a thread where times were offered and sent: when it picks exactly one, book it
    (the invitation still waits for the user's approval)."""
    offer = _answered_offer(session, user, email)
    if offer is None:
        return None
    if (email.sender or "").lower() not in {a.lower() for a in [*offer.to_addresses, *offer.cc_addresses]}:
        return None  # only someone the times were offered to chooses one
    start = chosen(email, offer)
    if start is None:
        return None
    try:
        event, _ = book(session, user=user, draft_id=offer.id, start=start, answer=email)
    except (Conflict, ValidationError):
        return None  # taken meanwhile, or no calendar: the user sees the mail and picks
    return event
