"""The notification outbox's worker: one delivery claimed, sent, and what came of it recorded.

A delivery is claimed with a compare-and-set (pending and due, or "sending" under a claim that ran
out) that stamps a lease; only the holder of that lease records the outcome. A worker killed
between sending and recording leaves the row "sending" until the lease ends; `deliver_due` then
sends it again with the same webhook-id / idempotency key, so the receiver can drop the copy. A 2xx
that was recorded is never followed by a resend. Retries are jobs at a time stored on the row
(backoff with jitter, or the receiver's Retry-After), picked up by the periodic `deliver_due`."""

from __future__ import annotations

import logging
import random
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import or_, update
from sqlmodel import Session, select

from openfyxer.core import sandbox
from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError, ValidationError
from openfyxer.core.later import later
from openfyxer.integrations import apprise_send, ews, notify_http, slack, sms, smtp, webhook, webpush
from openfyxer.models.account import EmailAccount
from openfyxer.models.notify import NotifyChannel, NotifyDelivery
from openfyxer.models.user import User
from openfyxer.security import outbound
from openfyxer.services.mail.mailbox import open_mailbox
from openfyxer.services.notify import channels as channel_store, render

log = logging.getLogger(__name__)

BACKOFF_BASE_S, BACKOFF_CAP_S = 15.0, 3600.0
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


def _now() -> datetime:
    return datetime.now(UTC)


def message_id(delivery_id: uuid.UUID) -> str:
    """The same on every attempt of one delivery: the receiver's key for dropping a copy."""
    return f"msg_{delivery_id.hex}"


def deliver(*, delivery_id: uuid.UUID) -> str:
    """The job: the delivery's state afterwards, or "skipped" when it was not this job's to send."""
    lease = _claim(delivery_id)
    if lease is None:
        return "skipped"
    with session_scope() as s:
        row = s.get(NotifyDelivery, delivery_id)
        channel = s.get(NotifyChannel, row.channel_id)
        user = s.get(User, row.user_id)
        off = None if channel.enabled else f"the channel is off: {channel.disabled_reason or 'turned off by the user'}"
        job = (channel.kind, channel_store.target(channel), row.event, dict(row.payload or {}),
               user.language or "en", row.created_at, user.email, row.attempts)
    if off:
        return _record(delivery_id, lease, state="failed", error=off)
    try:
        answer = _send(delivery_id, *job)
    except (outbound.OutboundRefused, ValidationError) as e:  # the policy will refuse it every time
        return _record(delivery_id, lease, state="failed", error=e.message)
    except OpenFyxerError as e:  # a name that did not resolve, a mail server down: try again later
        answer = notify_http.Answer(None, error=e.message)
    except Exception as e:  # noqa: BLE001 (recorded on the row; the lease must not be left to run out)
        log.exception("notification %s failed unexpectedly", delivery_id)
        answer = notify_http.Answer(None, error=f"{type(e).__name__}: {e}")
    return _outcome(delivery_id, lease, answer, attempts=job[-1], channel_id=channel.id, kind=channel.kind)


def _claim(delivery_id: uuid.UUID) -> datetime | None:
    now = _now()
    lease = now + timedelta(seconds=get_settings().notify_lease_seconds)
    with session_scope() as s:
        won = s.execute(
            update(NotifyDelivery)
            .where(NotifyDelivery.id == delivery_id,
                   or_((NotifyDelivery.state == "pending") & (NotifyDelivery.next_attempt_at <= now),
                       (NotifyDelivery.state == "sending") & (NotifyDelivery.lease_until < now)))
            .values(state="sending", lease_until=lease, held_reason=None, attempts=NotifyDelivery.attempts + 1)
        ).rowcount == 1
    return lease if won else None


def _send(delivery_id: uuid.UUID, kind: str, target: dict, event: str, payload: dict, language: str,
          created: datetime, email: str, attempts: int) -> notify_http.Answer:
    timeout = get_settings().notify_timeout_seconds
    m = render.message(event, payload, language)
    key = message_id(delivery_id)
    if kind == "slack":
        return slack.send(target["url"], slack.message(title=m.title, lines=m.lines, link=m.link), timeout=timeout)
    if kind == "webhook":
        body = render.webhook_body(event, payload, key, created.astimezone(UTC).isoformat())
        return webhook.send(target["url"], secret=target["secret"], message_id=key, payload=body, timeout=timeout)
    if kind == "sms":
        return sms.send(api_base=target.get("api_base", ""), account_sid=target["account_sid"],
                        auth_token=target["auth_token"], sender=target["from"], to=target["to"],
                        body=render.plain(m, language), idempotency_key=key, timeout=timeout)
    if kind == "apprise":
        return _apprise(target["url"], m, language)
    if kind == "webpush":
        return _push(delivery_id, target, m, event, email, timeout)
    return _email(delivery_id, target["to"], m, language)


def _push(delivery_id: uuid.UUID, target: dict, m: render.Message, event: str, email: str,
          timeout: float) -> notify_http.Answer:
    s = get_settings()
    if not s.vapid_private_key:
        raise ValidationError(channel_store.PUSH_OFF)
    subject = s.vapid_subject or (s.public_url if s.public_url.startswith("https://") else f"mailto:{email}")
    # A push service keeps the message for a browser that is off: urgent mail is worth a day, a digest
    # or a test is stale by then. The topic is this delivery's, so a resend replaces a held copy.
    ttl = 24 * 3600 if event in ("urgent", "follow_up", "sync_failed") else 4 * 3600
    return webpush.send(target["endpoint"], p256dh=target["p256dh"], auth=target["auth"], private_key=s.vapid_private_key,
                        subject=subject, payload=render.push_body(m, delivery_id.hex), ttl=ttl,
                        topic=delivery_id.hex, urgent=event == "urgent", timeout=timeout)


def _apprise(url: str, m: render.Message, language: str) -> notify_http.Answer:
    """In the sandbox, under the outbound policy (see integrations/apprise_send)."""
    timeout = get_settings().notify_timeout_seconds
    limits = sandbox.Limits(memory_mb=512, cpu_seconds=30, wall_seconds=timeout * 3 + 10)
    ok, refused = sandbox.run(apprise_send.send, url, m.title, render.plain(m, language), limits=limits)
    if refused:
        raise outbound.OutboundRefused(refused)
    return notify_http.Answer(200) if ok else notify_http.Answer(None, error="the service did not take the message")


def _email(delivery_id: uuid.UUID, to: str, m: render.Message, language: str) -> notify_http.Answer:
    """Through the user's own first active mail account (their notification address may be elsewhere)."""
    with session_scope() as s:
        row = s.get(NotifyDelivery, delivery_id)
        account = s.exec(select(EmailAccount).where(EmailAccount.user_id == row.user_id,
                                                    EmailAccount.is_active).order_by(EmailAccount.created_at)).first()
        if account is None:
            raise ValidationError("an email notification is sent through one of your mail accounts: connect one")
        mailbox = open_mailbox(s, account)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = account.email_address, to, m.title[:200]
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = f"<{message_id(delivery_id)}@openfyxer.notify>"  # the same on a resend
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    msg.set_content(render.plain(m, language))
    msg.add_alternative(render.html(m, language), subtype="html")
    try:
        mailbox.send(msg.as_bytes(), account.email_address, [to])
    except (smtp.SendFailed, ews.EwsSendFailed) as e:
        return notify_http.Answer(550 if e.kind == smtp.PERMANENT else None, error=e.message)
    return notify_http.Answer(250)


def _outcome(delivery_id: uuid.UUID, lease: datetime, answer: notify_http.Answer, *, attempts: int,
             channel_id: uuid.UUID, kind: str) -> str:
    status = answer.status
    if status is not None and (200 <= status < 300 or status == 250):
        return _record(delivery_id, lease, state="delivered", status=status)
    why = answer.error or f"the receiver answered HTTP {status}: {answer.body[:200]}".strip()
    # The receiver says this endpoint is gone for good: stop sending to it. A push service says the
    # same of an expired or revoked browser subscription with 404 (RFC 8030 section 7.3).
    if status == 410 or (status == 404 and kind == "webpush"):
        with session_scope() as s:
            s.execute(update(NotifyChannel).where(NotifyChannel.id == channel_id).values(
                enabled=False, disabled_reason=f"the receiver answered {status}: the endpoint was removed"))
        return _record(delivery_id, lease, state="failed", status=status, error=why)
    if status is not None and status not in RETRYABLE:
        return _record(delivery_id, lease, state="failed", status=status, error=why)
    if attempts >= get_settings().notify_max_attempts:
        return _record(delivery_id, lease, state="failed", status=status, error=f"gave up after {attempts} attempts: {why}")
    return _record(delivery_id, lease, state="pending", status=status, error=why,
                   next_at=_now() + timedelta(seconds=backoff(attempts, answer.retry_after)))


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: the receiver's Retry-After when it gave one, else exponential
    with jitter (half to all of it), so a receiver that comes back is not hit by every sender at once."""
    if retry_after is not None:
        return max(1.0, retry_after)
    full = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return random.uniform(full / 2, full)


def _record(delivery_id: uuid.UUID, lease: datetime, *, state: str, status: int | None = None,
            error: str | None = None, next_at: datetime | None = None) -> str:
    values = {"state": state, "last_status": status, "last_error": (error or None) and error[:500], "lease_until": None}
    if state == "delivered":
        values["delivered_at"] = _now()
    if next_at is not None:
        values["next_attempt_at"] = next_at
    with session_scope() as s:
        mine = s.execute(update(NotifyDelivery).where(NotifyDelivery.id == delivery_id, NotifyDelivery.state == "sending",
                                                      NotifyDelivery.lease_until == lease).values(**values)).rowcount
    if not mine:
        log.warning("notification %s: the claim ran out before the outcome (%s) was recorded", delivery_id, state)
        return "skipped"
    return state


def deliver_due(session: Session, limit: int = 500) -> int:
    """The periodic pick-up: a job for each delivery due (a retry, the end of quiet hours) and each
    left "sending" by a worker that died."""
    now = _now()
    rows = session.exec(select(NotifyDelivery.id, NotifyDelivery.user_id).where(
        or_((NotifyDelivery.state == "pending") & (NotifyDelivery.next_attempt_at <= now),
            (NotifyDelivery.state == "sending") & (NotifyDelivery.lease_until < now))).limit(limit)).all()
    for delivery_id, user_id in rows:
        later(session, "deliver_notification", delivery_id, owner=user_id)
    return len(rows)
