"""Invitations received by mail: shown on the email with their conflicts, answered with a REPLY that
the outbox sends once, applied to the user's calendar.

Who may change what: anyone may invite the user (the user decides), but only the ORGANIZER of an
event on the user's calendars updates or cancels it, and only an attendee answers for themselves;
"the organizer" is the address the mail came from, since ORGANIZER is whatever the sender wrote. A
second click with the same answer sends nothing more: each answer has a Message-ID fixed by what it
answers, and the outbox sends a Message-ID once.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from openfyxer.integrations.calendar_values import Attendee
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, EventPublic
from openfyxer.models.document import Document
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.models.invitation import InvitationAttendee, InvitationConflict, InvitationOut, InvitationsOut
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.calendar import events, invite_store, itip
from openfyxer.services.calendar.accounts import get_calendar
from openfyxer.services.calendar.offers import default_calendar
from openfyxer.services.mail import outbox
from openfyxer.services.mail.emails import get_owned

CALENDAR_TYPES = ("text/calendar", "application/ics")
SHOWN = ("REQUEST", "CANCEL", "REPLY")
_WORDS = {
    "en": {"accepted": "Accepted", "tentative": "Tentative", "declined": "Declined",
           "body": {"accepted": "{who} accepted the invitation: {title}.", "tentative": "{who} might attend: {title}.",
                    "declined": "{who} declined the invitation: {title}."}},
    "ro": {"accepted": "Acceptat", "tentative": "Provizoriu", "declined": "Refuzat",
           "body": {"accepted": "{who} a acceptat invitația: {title}.",
                    "tentative": "{who} ar putea participa: {title}.",
                    "declined": "{who} a refuzat invitația: {title}."}},
}


def _parts(session: Session, email: Email) -> tuple[list[bytes], list[str]]:
    docs = session.exec(select(Document).where(Document.email_id == email.id).order_by(Document.created_at)).all()
    datas, skipped = [], []
    for doc in docs:
        if (doc.file_type or "").split(";")[0].strip().lower() not in CALENDAR_TYPES:
            continue
        path = get_settings().data_dir / Path(doc.storage_path) if doc.storage_path else None
        if path is None or (doc.file_size or 0) > itip.MAX_PART_BYTES or not path.exists():
            skipped.append(f"{doc.filename or 'calendar part'}: too large or not saved, not read")
            continue
        datas.append(path.read_bytes())
    return datas, skipped


def _read(session: Session, user: User, email_id: uuid.UUID) -> tuple[Email, list[itip.Invitation], list[str]]:
    email = get_owned(session, user=user, email_id=email_id)
    datas, skipped = _parts(session, email)
    read = itip.read(datas, user.timezone or "UTC") if datas else itip.Read([], [])
    return email, [i for i in read.invitations if i.method in SHOWN], skipped + read.skipped


def _one(session: Session, user: User, email_id: uuid.UUID, uid: str, method: str) -> tuple[Email, itip.Invitation]:
    email, found, _ = _read(session, user, email_id)
    invitation = next((i for i in found if i.uid == uid), None)
    if invitation is None:
        raise NotFound("this email carries no invitation with that UID")
    if invitation.method != method:
        raise Conflict(f"this is a {invitation.method}, not a {method}", code=f"not_a_{method.lower()}")
    return email, invitation


def _addresses(session: Session, user: User) -> set[str]:
    return {a.lower() for a in session.exec(select(EmailAccount.email_address)
                                            .where(EmailAccount.user_id == user.id)).all()}


def _replies(session: Session, email_id: uuid.UUID, uid: str) -> list[Draft]:
    drafts = session.exec(select(Draft).where(Draft.email_id == email_id, Draft.calendar_method == "REPLY")
                          .order_by(Draft.created_at)).all()
    return [d for d in drafts if (d.meeting or {}).get("uid") == uid]


def _status(invitation: itip.Invitation, stored: invite_store.Stored | None) -> str:
    if invitation.method == "CANCEL":
        return "cancelled"
    if invitation.method == "REPLY":
        return "reply"
    if stored is None:
        return "new"
    have = stored.event.sequence
    return "updated" if invitation.sequence > have else "outdated" if invitation.sequence < have else "on_calendar"


def _span(invitation: itip.Invitation, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if invitation.start is None:
        return None
    if invitation.all_day:
        return (datetime.combine(invitation.start, time(0), tzinfo=zone),
                datetime.combine(invitation.end, time(0), tzinfo=zone))
    return invitation.start, max(invitation.end, invitation.start + timedelta(minutes=1))


def _conflicts(session: Session, user: User, invitation: itip.Invitation) -> list[InvitationConflict]:
    span = _span(invitation, ZoneInfo(user.timezone or "UTC")) if invitation.method == "REQUEST" else None
    if span is None:
        return []
    busy = set(session.exec(select(Calendar.id).where(Calendar.user_id == user.id, Calendar.busy)).all())
    end = min(span[1], span[0] + events.MAX_WINDOW)  # a months-long "event" is no reason to refuse the list
    found = events.list_events(session, user=user, start=span[0], end=end, include_hidden=True)
    return [InvitationConflict(event_id=e.id, title=e.title, start=e.start_time, end=e.end_time, all_day=e.is_all_day)
            for e in found if e.calendar_id in busy and not e.transparent and e.uid != invitation.uid]


def for_email(session: Session, *, user: User, email_id: uuid.UUID) -> InvitationsOut:
    """The invitations, cancellations and answers an email carries, each with its standing against the
    user's calendars, the user's answer so far and the busy events it overlaps."""
    email, found, skipped = _read(session, user, email_id)
    stored = invite_store.find(session, user, [i.uid for i in found])
    mine = _addresses(session, user)
    out = []
    for inv in found:
        have = stored.get(inv.uid)
        replies = [d for d in _replies(session, email.id, inv.uid) if d.status != "rejected"]
        event = invite_store.first_instance(session, have.obj.id) if have else None
        me = inv.attendee(mine)
        out.append(InvitationOut(
            uid=inv.uid, method=inv.method, status=_status(inv, have), sequence=inv.sequence,
            recurrence_id=inv.recurrence_id, recurring=inv.recurring, summary=inv.summary, location=inv.location,
            start=itip.utc(inv.start), end=itip.utc(inv.end), all_day=inv.all_day,
            start_date=inv.start if inv.all_day else None, end_date=inv.end if inv.all_day else None,
            tzid=inv.tzid, organizer=inv.organizer, sender_is_organizer=_from_organizer(email, inv.organizer),
            attendees=[InvitationAttendee(email=a.email, name=a.name, partstat=a.partstat, role=a.role)
                       for a in inv.attendees],
            me=me.email if me else None, answer=replies[-1].meeting.get("answer") if replies else None,
            reply_draft_id=replies[-1].id if replies else None, event=EventPublic.of(event) if event else None,
            conflicts=_conflicts(session, user, inv)))
    return InvitationsOut(email_id=email.id, invitations=out, skipped=skipped)


def _from_organizer(email: Email, organizer: str) -> bool:
    return bool(organizer) and (email.sender or "").lower() == organizer


def _guard_update(email: Email, invitation: itip.Invitation, stored: invite_store.Stored | None) -> None:
    """An invitation that would change an event already on the calendar must come from its organizer."""
    if stored is None:
        return
    if not (_from_organizer(email, stored.event.organizer) and invitation.organizer == stored.event.organizer):
        raise PermissionDenied("this mail is not from the organizer of the event on your calendar, so it cannot "
                               "change it", code="not_the_organizer")


def respond(session: Session, *, user: User, email_id: uuid.UUID, uid: str, answer: str,
            calendar_id: uuid.UUID | None = None, ip: str | None = None) -> tuple[Draft, CalendarEvent | None]:
    """Answer an invitation: the REPLY to the organizer is approved and queued at once (the click is the
    user's approval), and the calendar follows: accepted or tentative puts the event there with the
    user's answer, declined takes it off. The same answer twice sends one REPLY; another answer a new one."""
    if answer not in itip.PARTSTATS:
        raise ValidationError("answer: accepted, tentative or declined")
    email, inv = _one(session, user, email_id, uid, "REQUEST")
    if not inv.organizer:
        raise ValidationError("the invitation names no organizer to answer", code="invitation_no_organizer")
    stored = invite_store.find(session, user, [uid]).get(uid)
    _guard_update(email, inv, stored)
    if stored is not None and inv.sequence < stored.event.sequence:
        raise Conflict("a later version of this invitation is on your calendar: answer that one",
                       code="invitation_outdated")
    account = session.get(EmailAccount, email.account_id)
    me = _me(session, user, inv, account)
    replies = _replies(session, email.id, uid)
    last = next((d for d in reversed(replies) if d.status != "rejected"), None)
    if last is not None and last.meeting.get("answer") == answer and last.meeting.get("sequence") == inv.sequence:
        outbox.approve(session, user=user, draft_id=last.id, ip=ip)  # harmless: the outbox sends it once
        event = invite_store.first_instance(session, stored.obj.id) if stored else None
        return last, event
    event = _apply(session, user, inv, stored, me.email, answer, calendar_id)
    draft = _reply_draft(session, user, email, account, inv, me, answer, len(replies), event)
    draft = outbox.approve(session, user=user, draft_id=draft.id, ip=ip)
    audit.record(session, action="invitation.respond", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"email": str(email.id), "uid": uid, "answer": answer,
                          "event": str(event.id) if event else None}, ip=ip)
    return draft, event


def _me(session: Session, user: User, inv: itip.Invitation, account: EmailAccount) -> Attendee:
    """The attendee the user answers as: the address the invitation reached, else another of theirs."""
    own = account.email_address.lower()
    return inv.attendee({own}) or inv.attendee(_addresses(session, user)) or Attendee(
        email=own, name=account.display_name or "", partstat="NEEDS-ACTION", role="REQ-PARTICIPANT")


def _apply(session: Session, user: User, inv: itip.Invitation, stored: invite_store.Stored | None, address: str,
           answer: str, calendar_id: uuid.UUID | None) -> CalendarEvent | None:
    if answer == "declined":
        if stored is not None:
            invite_store.remove(session, user, stored)
        return None
    if stored is not None:
        cal = stored.calendar
    elif calendar_id is not None:
        cal = get_calendar(session, user=user, calendar_id=calendar_id)
    else:
        cal = default_calendar(session, user)
    if cal is None or session.get(CalendarAccount, cal.account_id).provider != "caldav":
        # no calendar connected, or Google's / Outlook's, which put invitations on themselves when the
        # mail arrives: the answer still goes out
        return None
    base = inv.data if stored is None or inv.sequence > stored.event.sequence else stored.obj.data
    data = itip.with_answer(base, address, itip.PARTSTATS[answer])
    return invite_store.put(session, user, cal, uid=inv.uid, data=data, stored=stored)


def _reply_draft(session: Session, user: User, email: Email, account: EmailAccount, inv: itip.Invitation,
                 me: Attendee, answer: str, count: int, event: CalendarEvent | None) -> Draft:
    try:
        ics = itip.reply_ics(inv, Attendee(me.email, me.name, itip.PARTSTATS[answer], me.role))
    except ValueError as e:  # times the sender wrote that no calendar could hold
        raise ValidationError(f"this invitation cannot be answered: {e}", code="invitation_invalid") from e
    lang = user.language if user.language in _WORDS else "en"
    words = _WORDS[lang]
    title = inv.summary or "—"
    who = account.display_name or me.name or account.email_address
    # Fixed by what it answers: two clicks racing make one row (the second insert hits the unique key).
    key = f"{user.id}|{email.id}|{inv.uid}|{inv.sequence}|{count}|{answer}"
    message_id = f"<itip-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{account.email_address.rsplit('@', 1)[-1]}>"
    draft = Draft(
        user_id=user.id, account_id=account.id, email_id=email.id, to_addresses=[inv.organizer],
        subject=f"{words[answer]}: {title}"[:900], content=words["body"][answer].format(who=who, title=title),
        status="pending", language=lang, llm_model="calendar", message_id=message_id,
        in_reply_to=email.message_id, references=[*(email.references or []), email.message_id][-20:],
        calendar_ics=ics,
        calendar_method="REPLY", created_at=datetime.now(UTC),
        meeting={"uid": inv.uid, "answer": answer, "sequence": inv.sequence,
                 **({"event_id": str(event.id)} if event else {})})
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        draft = session.exec(select(Draft).where(Draft.message_id == message_id)).one()
    return draft


def apply_cancel(session: Session, *, user: User, email_id: uuid.UUID, uid: str, ip: str | None = None) -> bool:
    """Take a cancelled event off the user's calendar, once they confirm; only the organizer's own mail
    does it. False when it was not there (already removed, or never accepted)."""
    email, inv = _one(session, user, email_id, uid, "CANCEL")
    stored = invite_store.find(session, user, [uid]).get(uid)
    if stored is None:
        return False
    _guard_update(email, inv, stored)
    if inv.sequence < stored.event.sequence:
        raise Conflict("the event was sent again after this cancellation: it stands", code="cancel_outdated")
    if inv.recurrence_id and stored.event.recurring:
        raise ValidationError("this cancels one meeting of a series: remove it in your calendar app",
                              code="calendar_series")
    invite_store.remove(session, user, stored)
    audit.record(session, action="invitation.cancel", user_id=user.id, entity_type="email", entity_id=email.id,
                 details={"uid": uid}, ip=ip)
    return True


def apply_reply(session: Session, *, user: User, email_id: uuid.UUID, uid: str,
                ip: str | None = None) -> tuple[CalendarEvent | None, Attendee, bool]:
    """Someone answered the user's invitation: their PARTSTAT on the stored event, only when the mail
    comes from that attendee and the event is the user's own. Returns (event, attendee, changed)."""
    email, inv = _one(session, user, email_id, uid, "REPLY")
    sender = (email.sender or "").lower()
    attendee = inv.attendee({sender})
    if attendee is None:
        raise PermissionDenied("this answer is not from the attendee it answers for", code="not_the_attendee")
    stored = invite_store.find(session, user, [uid]).get(uid)
    if stored is None:
        raise NotFound("the event this answers is not on your calendars")
    if stored.event.organizer not in _addresses(session, user):
        raise PermissionDenied("you do not organise this event", code="not_your_meeting")
    if inv.sequence < stored.event.sequence:
        raise Conflict("this answers an earlier version of the event", code="reply_outdated")
    now = next((a for a in stored.event.attendees if a.email == sender), None)
    if now is not None and now.partstat == attendee.partstat:
        return invite_store.first_instance(session, stored.obj.id), attendee, False
    data = itip.with_answer(stored.obj.data, sender, attendee.partstat)
    event = invite_store.put(session, user, stored.calendar, uid=uid, data=data, stored=stored)
    audit.record(session, action="invitation.reply", user_id=user.id, entity_type="email", entity_id=email.id,
                 details={"uid": uid, "attendee": sender, "partstat": attendee.partstat}, ip=ip)
    return event, attendee, True
