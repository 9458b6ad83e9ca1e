"""The daily digest: at the user's chosen local time, what waits for them (urgent and to-respond
mail not answered, drafts to approve, today's meetings, follow-ups due), once per local day.

Everything in it is read from the database by code; the mail's words appear only as subjects
and senders, escaped by each channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from openfyxer.models.draft import Draft
from openfyxer.models.notify import NotifyChannel, NotifyDelivery
from openfyxer.models.user import User
from openfyxer.services.calendar import events as calendar_events
from openfyxer.services.mail import emails
from openfyxer.services.notify import channels, events, followups

SHOWN = 8  # items per section: a digest is read on a phone
LOOKBACK = timedelta(days=7)  # older unanswered mail is the inbox's business, not this morning's


def due_users(session: Session, now: datetime | None = None) -> list[User]:
    """Users with a channel that wants the digest whose local digest time has come today."""
    now = now or datetime.now(UTC)
    ids = session.exec(select(NotifyChannel.user_id).where(NotifyChannel.enabled).distinct()).all()
    out = []
    for user in session.exec(select(User).where(User.id.in_(ids), User.is_active)).all():
        p = events.prefs(session, user.id)
        if not p.digest_at:
            continue
        local = now.astimezone(ZoneInfo(user.timezone or "UTC"))
        if local.time().replace(tzinfo=None) >= time.fromisoformat(p.digest_at):
            out.append(user)
    return out


def build(session: Session, *, user: User, now: datetime | None = None) -> dict:
    """The digest's content for the user's local today."""
    now = now or datetime.now(UTC)
    zone = ZoneInfo(user.timezone or "UTC")
    today = now.astimezone(zone).date()

    def mail(category: str) -> tuple[list[dict], int]:
        rows, total = emails.list_emails(session, user=user, category=category, awaiting_reply=True,
                                         received_after=now - LOOKBACK, limit=SHOWN)
        return [{"subject": (e.subject or "")[:200], "sender": (e.sender_name or e.sender or "")[:120],
                 "link": events.link(f"/email/{e.id}")} for e in rows], total

    urgent, urgent_total = mail("urgent")
    respond, respond_total = mail("to_respond")
    drafts_total = session.exec(select(func.count()).select_from(Draft).where(
        Draft.user_id == user.id, Draft.status == "pending")).one()
    start = datetime.combine(today, time(0), tzinfo=zone)
    meetings = [{"title": (e.title or "")[:200], "all_day": e.is_all_day,
                 "start": "" if e.is_all_day else calendar_events.local_span(e, zone)[0].strftime("%H:%M")}
                for e in calendar_events.list_events(session, user=user, start=start, end=start + timedelta(days=1))
                ][:SHOWN * 2]
    due = followups.due_now(session, user=user, now=now)
    return {"date": today.isoformat(), "urgent": urgent, "urgent_total": urgent_total, "to_respond": respond,
            "to_respond_total": respond_total, "drafts_total": int(drafts_total), "meetings": meetings,
            "follow_ups": [{"subject": f.subject[:200], "to": f.to[:200], "link": events.link("/awaiting")}
                           for f in due[:SHOWN]], "follow_ups_total": len(due),
            "link": events.link("/home")}


def send_due(session: Session, now: datetime | None = None) -> int:
    """The periodic job: a digest for each user whose time has come and who has not had today's."""
    now = now or datetime.now(UTC)
    sent = 0
    for user in due_users(session, now):
        day: date = now.astimezone(ZoneInfo(user.timezone or "UTC")).date()
        key = f"digest:{day.isoformat()}"
        if not _wanted(session, user, key):
            continue
        payload = build(session, user=user, now=now)
        if not any(payload[k] for k in ("urgent_total", "to_respond_total", "drafts_total", "meetings",
                                         "follow_ups_total")):
            continue  # nothing waits: no message to say so (tomorrow's is looked at tomorrow)
        sent += len(events.raise_event(session, user=user, event="digest", key=key, payload=payload, now=now))
    return sent


def _wanted(session: Session, user: User, key: str) -> bool:
    """A channel that wants the digest and has not got today's (checked before the digest is built:
    building it reads the mail, the calendar and the drafts)."""
    wanting = [c.id for c in channels.wanting(session, user_id=user.id, event="digest")]
    if not wanting:
        return False
    had = set(session.exec(select(NotifyDelivery.channel_id).where(
        NotifyDelivery.channel_id.in_(wanting), NotifyDelivery.event_key == key)).all())
    return len(had) < len(wanting)
