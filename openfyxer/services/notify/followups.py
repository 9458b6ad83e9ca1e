"""Follow-ups: mail the user sent that expects an answer is watched; after `follow_up_days`
business days in their zone with no reply in its thread, they are told, and a nudge draft waits
for their approval (never sent by itself). A reply arriving, a later message of theirs in the
thread, or their dismissal ends the watch; a snooze moves it.

Whether a message expects an answer is read by code: a question in the user's own new text, or the
request model that triage uses for incoming mail. The nudge is written by code in the thread's
language with the user's learned greeting and sign-off: it states nothing but that they wrote."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, select

from openfyxer.core.errors import NotFound
from openfyxer.models.account import EmailAccount
from openfyxer.models.draft import DraftCreate
from openfyxer.models.email import Email
from openfyxer.models.notify import FollowUp, FollowUpPublic
from openfyxer.models.user import User
from openfyxer.services import settings as user_settings
from openfyxer.services.assistant import classifiers, language, style
from openfyxer.services.assistant.classify_text import new_text
from openfyxer.services.mail import drafts
from openfyxer.services.notify import events

OPEN = ("waiting", "due")
RECENT = timedelta(days=30)  # older sent mail found by a first sync is history, not something to chase
_NUDGE = {
    "en": ("Hi {name},", "Just following up on my message below about \"{subject}\". "
           "Could you let me know when you have a moment?", "Thanks,"),
    "ro": ("Bună ziua,", "Revin cu privire la mesajul meu de mai jos despre „{subject}”. "
           "Îmi puteți da un răspuns când aveți un moment?", "Mulțumesc,"),
}


def add_business_days(start: datetime, days: int, zone: str) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same local time."""
    local = start.astimezone(ZoneInfo(zone))
    day, left = local, days
    while left > 0:
        day = day + timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return datetime.combine(day.date(), local.time().replace(tzinfo=None), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def expects_answer(e: Email) -> bool:
    own = new_text(e.body_text or "")
    if "?" in own or "?" in (e.subject or "")[:200].replace("Re:", ""):
        return True
    return bool(classifiers.request_probabilities([Email(subject=e.subject, body_text=own)], None)[0] >= 0.5)


def track_sent(session: Session, *, user: User, emails: list[Email], now: datetime | None = None) -> int:
    """New mail in Sent: watch what expects an answer; an earlier watch on the same thread ends (the
    user wrote again: that is their follow-up)."""
    now = now or datetime.now(UTC)
    prefs = user_settings.get_or_create(session, user_id=user.id)
    own = {a.lower() for a in session.exec(select(EmailAccount.email_address).where(
        EmailAccount.user_id == user.id)).all()}
    made = 0
    for e in sorted(emails, key=lambda m: m.received_at or now):
        if e.folder_role != "sent" or not e.thread_id or not e.received_at or e.received_at < now - RECENT:
            continue
        others = [a for a in (e.recipients or []) + (e.cc or []) if a.lower() not in own]
        session.execute(update(FollowUp).where(FollowUp.user_id == user.id, FollowUp.thread_id == e.thread_id,
                                               FollowUp.state.in_(OPEN), FollowUp.sent_at < e.received_at)
                        .values(state="superseded"))
        if not others or _answered(session, e.thread_id, e.received_at, own) or not expects_answer(e) \
                or session.exec(select(FollowUp.id).where(FollowUp.email_id == e.id)).first():
            continue
        session.add(FollowUp(user_id=user.id, email_id=e.id, thread_id=e.thread_id, subject=(e.subject or "")[:500],
                             to=", ".join(others)[:500], language=language.detect(new_text(e.body_text or "")),
                             sent_at=e.received_at,
                             due_at=add_business_days(e.received_at, prefs.follow_up_days, user.timezone or "UTC")))
        made += 1
    session.flush()
    return made


def replies_arrived(session: Session, *, user: User, emails: list[Email]) -> int:
    """Incoming mail that answers a watched thread ends its watch (and any reminder still to come)."""
    ended = 0
    for e in emails:
        if e.folder_role == "sent" or not e.thread_id or not e.received_at:
            continue
        ended += session.execute(update(FollowUp).where(
            FollowUp.user_id == user.id, FollowUp.thread_id == e.thread_id, FollowUp.state.in_(OPEN),
            FollowUp.sent_at < e.received_at).values(state="replied")).rowcount
    return ended


def _answered(session: Session, thread_id: str, after: datetime, own: set[str]) -> bool:
    later_mail = session.exec(select(Email.sender).where(Email.thread_id == thread_id, Email.received_at > after,
                                                         Email.folder_role != "sent")).all()
    return any((s or "").lower() not in own for s in later_mail)


def due_now(session: Session, *, user: User, now: datetime | None = None) -> list[FollowUp]:
    now = now or datetime.now(UTC)
    return list(session.exec(select(FollowUp).where(FollowUp.user_id == user.id, FollowUp.state.in_(OPEN),
                                                    FollowUp.due_at <= now).order_by(FollowUp.due_at)).all())


def remind_due(session: Session, now: datetime | None = None) -> int:
    """The periodic job: each watch past its day with no reply becomes due, is notified once for that
    day, and gets a nudge draft (once)."""
    now = now or datetime.now(UTC)
    rows = session.exec(select(FollowUp).where(FollowUp.state == "waiting", FollowUp.due_at <= now)).all()
    for f in rows:
        user = session.get(User, f.user_id)
        own = {a.lower() for a in session.exec(select(EmailAccount.email_address).where(
            EmailAccount.user_id == user.id)).all()}
        if _answered(session, f.thread_id, f.sent_at, own):
            f.state = "replied"
        else:
            f.state, f.reminders = "due", f.reminders + 1
            if f.nudge_draft_id is None:
                f.nudge_draft_id = _nudge(session, user, f)
            events.raise_event(session, user=user, event="follow_up", key=f"follow_up:{f.id}:{f.reminders}",
                               payload={"subject": f.subject, "to": f.to, "sent_at": f.sent_at.isoformat(),
                                        "link": events.link("/awaiting")}, now=now)
        session.add(f)
    session.flush()
    return len(rows)


def _nudge(session: Session, user: User, f: FollowUp) -> uuid.UUID | None:
    sent = session.get(Email, f.email_id)
    if sent is None:
        return None
    greeting, line, sign = _NUDGE.get(f.language, _NUDGE["en"])
    voice = style.for_language(style.profile_for(session, user=user), f.language) or {}
    first = f.to.split(",")[0].split("@")[0].split(".")[0].capitalize()
    if voice.get("greeting"):
        opening = f"{voice['greeting']} {first}," if voice.get("greeting_with_name", True) else f"{voice['greeting']},"
    else:
        opening = greeting.format(name=first)
    body = "\n\n".join([opening, line.format(subject=f.subject or "…"), voice.get("sign_off") or sign])
    draft = drafts.create(session, user=user, data=DraftCreate(
        account_id=sent.account_id, email_id=sent.id, to=[a.strip() for a in f.to.split(",") if a.strip()][:20],
        content=body))
    return draft.id


def public(f: FollowUp) -> FollowUpPublic:
    return FollowUpPublic(id=f.id, email_id=f.email_id, subject=f.subject, to=f.to, sent_at=f.sent_at, due_at=f.due_at,
                          state=f.state, nudge_draft_id=f.nudge_draft_id)


def list_open(session: Session, *, user: User) -> list[FollowUp]:
    return list(session.exec(select(FollowUp).where(FollowUp.user_id == user.id, FollowUp.state.in_(OPEN))
                             .order_by(FollowUp.due_at)).all())


def _owned(session: Session, user: User, follow_up_id: uuid.UUID) -> FollowUp:
    f = session.get(FollowUp, follow_up_id)
    if f is None or f.user_id != user.id:
        raise NotFound("no such follow-up")
    return f


def snooze(session: Session, *, user: User, follow_up_id: uuid.UUID, days: int,
           now: datetime | None = None) -> FollowUp:
    f = _owned(session, user, follow_up_id)
    f.state, f.due_at = "waiting", add_business_days(now or datetime.now(UTC), days, user.timezone or "UTC")
    session.add(f)
    session.flush()
    return f


def dismiss(session: Session, *, user: User, follow_up_id: uuid.UUID) -> FollowUp:
    f = _owned(session, user, follow_up_id)
    f.state = "dismissed"
    session.add(f)
    session.flush()
    return f
