"""Something to tell the user: one delivery per channel that wants it, in the caller's unit of work,
held until quiet hours end, its send declared for after the commit.

An event has a key ("urgent:<email id>"); a delivery is unique by (channel, key), so the same event
raised twice (mail triaged again, a job retried, two workers at once) is delivered once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.later import later
from openfyxer.models.email import Email
from openfyxer.models.notify import NotifyChannel, NotifyDelivery, NotifyPrefs
from openfyxer.models.user import User
from openfyxer.services import settings as user_settings
from openfyxer.services.notify import channels as channel_store


def prefs(session: Session, user_id: uuid.UUID) -> NotifyPrefs:
    row = user_settings.get_or_create(session, user_id=user_id)
    try:
        return NotifyPrefs.model_validate(row.notify or {})
    except ValueError:  # saved by an older version: the defaults rather than no notifications
        return NotifyPrefs()


def save_prefs(session: Session, *, user_id: uuid.UUID, data: NotifyPrefs) -> NotifyPrefs:
    row = user_settings.get_or_create(session, user_id=user_id)
    row.notify = data.model_dump()
    session.add(row)
    session.flush()
    return data


def quiet_until(p: NotifyPrefs, zone: str, now: datetime) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None. The hours are the user's wall clock,
    so they follow the zone across a DST change; a range may cross midnight (22:00-07:00)."""
    if not p.quiet_start or not p.quiet_end or p.quiet_start == p.quiet_end:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    start, end = time.fromisoformat(p.quiet_start), time.fromisoformat(p.quiet_end)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if (start < end or t < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def raise_event(session: Session, *, user: User, event: str, key: str, payload: dict, priority: bool = False,
                now: datetime | None = None, only: NotifyChannel | None = None) -> list[NotifyDelivery]:
    """Deliveries for `event` to each enabled channel that wants it (or to `only`); the new ones."""
    now = now or datetime.now(UTC)
    targets = [only] if only else channel_store.wanting(session, user_id=user.id, event=event)
    if not targets:
        return []
    p = prefs(session, user.id)
    passes = event == "test" or (event == "urgent" and priority and p.priority_passes_quiet)
    held = None if passes else quiet_until(p, user.timezone or "UTC", now)
    made = []
    for channel in targets:
        if session.exec(select(NotifyDelivery.id).where(NotifyDelivery.channel_id == channel.id,
                                                        NotifyDelivery.event_key == key)).first():
            continue
        row = NotifyDelivery(user_id=user.id, channel_id=channel.id, event=event, event_key=key[:200],
                             payload=payload, next_attempt_at=held or now,
                             held_reason="quiet hours" if held else None, created_at=now)
        try:
            with session.begin_nested():  # another worker raised it first: theirs stands, ours goes
                session.add(row)
        except IntegrityError:
            continue
        made.append(row)
        if not held:
            later(session, "deliver_notification", row.id, owner=user.id)
    return made


def link(path: str) -> str:
    """An address of the dashboard for a notification to point at."""
    s = get_settings()
    return (s.public_url or s.oauth_redirect_base or f"http://127.0.0.1:{s.port}").rstrip("/") + path


def urgent_mail(session: Session, *, user: User, email: Email) -> list[NotifyDelivery]:
    """Urgent mail arrived: who sent it, what about, why it is urgent, and where to open it."""
    sender = (email.sender or "").strip()
    contacts = {c.strip().lower() for c in (user_settings.get_or_create(session, user_id=user.id)
                                            .priority_contacts or [])}
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip().lower()
    payload = {"email_id": str(email.id), "sender": sender[:300], "subject": (email.subject or "")[:300],
               "reason": (email.triage_reason or "")[:300], "link": link(f"/email/{email.id}"),
               "received_at": email.received_at.isoformat() if email.received_at else None}
    return raise_event(session, user=user, event="urgent", key=f"urgent:{email.id}", payload=payload,
                       priority=address in contacts)


def send_test(session: Session, *, user: User, channel_id: uuid.UUID) -> NotifyDelivery:
    """A test message to one channel now, whatever it is subscribed to and whatever the hour."""
    channel = channel_store.get(session, user_id=user.id, channel_id=channel_id)
    made = raise_event(session, user=user, event="test", key=f"test:{uuid.uuid4()}",
                       payload={"link": link("/settings")}, only=channel)
    return made[0]


def draft_ready(session: Session, *, user: User, draft) -> list[NotifyDelivery]:  # noqa: ANN001
    """A draft written for the user waits for their approval."""
    return raise_event(session, user=user, event="draft_ready", key=f"draft_ready:{draft.id}",
                       payload={"subject": (draft.subject or "")[:300], "to": ", ".join(draft.to_addresses or [])[:300],
                                "link": link("/drafts")})


# A sync that failed once may be a blip; one that has not succeeded for this long is worth a message.
FAILING_FOR = timedelta(hours=1)


def sync_failing(session: Session, *, account, error: str, now: datetime | None = None) -> list[NotifyDelivery]:  # noqa: ANN001
    """An account's sync failed and has not succeeded for FAILING_FOR: told once a day per account."""
    now = now or datetime.now(UTC)
    since = account.last_sync or account.created_at
    if since and since > now - FAILING_FOR:
        return []
    user = session.get(User, account.user_id)
    day = now.astimezone(ZoneInfo(user.timezone or "UTC")).date().isoformat()
    return raise_event(session, user=user, event="sync_failed", key=f"sync_failed:{account.id}:{day}",
                       payload={"account": account.email_address, "error": error[:300], "link": link("/settings")},
                       now=now)
