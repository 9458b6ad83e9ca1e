"""Sending approved drafts exactly once.

approved -> sending -> sent | failed. The claim is a conditional UPDATE, so two workers cannot
both send one draft. The Message-ID is fixed at approval; after an ambiguous failure (the
message went out but the server's answer was lost) or a worker killed mid-send, the next
attempt first looks for that Message-ID in Sent and resends only when the provider would have
filed it there. Permanent 5xx refusals are never retried.
"""

from __future__ import annotations

import html
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy import update
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import Conflict, OpenFyxerError
from openfyxer.core.later import later
from openfyxer.integrations import ews, smtp
from openfyxer.models.account import EmailAccount
from openfyxer.models.draft import Draft, DraftUpdate
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.assistant.guard import asks
from openfyxer.services.mail import drafts, forward
from openfyxer.services.mail.drafts import get
from openfyxer.services.mail.mailbox import open_mailbox

log = logging.getLogger(__name__)
STALE_SENDING = timedelta(minutes=10)
AMBIGUOUS_RECHECK = timedelta(seconds=30)


def _now() -> datetime:
    return datetime.now(UTC)


def approve(session: Session, *, user: User, draft_id: uuid.UUID, content: str | None = None,
            resend: bool = False, ip: str | None = None) -> Draft:
    """The user's approval: fixes the Message-ID and queues the send. Safe to repeat.

    `content` is the text as the user last saw it: an edit not yet saved goes out with the approval.
    A draft that failed with its delivery uncertain (it may have reached the recipient) is sent again
    only when the user says so knowingly (`resend`); it then goes out without the Sent check that
    could not settle it."""
    draft = get(session, user=user, draft_id=draft_id)
    if content is not None and content != draft.content and draft.status not in ("approved", "sending", "sent"):
        drafts.update(session, user=user, draft_id=draft_id, data=DraftUpdate(content=content), ip=ip)
    if draft.status == "approved":
        later(session, "send_draft", draft.id, owner=user.id)  # a repeat after a lost job; the job id keeps it single
        return draft
    if draft.status in ("sending", "sent"):
        return draft
    if draft.status == "rejected":
        raise Conflict("a rejected draft cannot be sent", code="draft_rejected")
    if draft.status == "failed" and draft.delivery_uncertain and not resend:
        raise Conflict("this reply may already have reached its recipients (the connection was lost as it was "
                       "sent): check with them, then send it again knowingly", code="delivery_uncertain")
    if not draft.to_addresses:  # a forward starts with nobody: the user names whom it goes to
        raise Conflict("add at least one recipient, then send", code="draft_no_recipient")
    if asks(draft.content):  # the question it left is for the user, never for the recipient
        raise Conflict("the draft still asks you something: answer it in the text, then send",
                       code="draft_asks_user")
    account = session.get(EmailAccount, draft.account_id) if draft.account_id else None
    if account is None:
        raise Conflict("the draft's mail account is gone", code="draft_no_account")
    domain = account.email_address.rsplit("@", 1)[-1]
    hold = get_settings().undo_send_seconds
    values = {"status": "approved", "approved_at": _now(), "last_error": None,
              "next_attempt_at": _now() + timedelta(seconds=hold) if hold else None,
              "message_id": draft.message_id or make_msgid(domain=domain), "updated_at": _now()}
    if draft.generated_content is not None:
        values["edit_ratio"] = drafts.edit_ratio(draft.generated_content, draft.content)
    if draft.send_attempts and not draft.delivery_uncertain:
        values["send_attempts"] = 0  # a fresh approval after a clean failure gets a fresh budget
    if resend and draft.status == "failed" and draft.delivery_uncertain:
        values |= {"delivery_uncertain": False, "send_attempts": 0}  # the user's decision, not the outbox's
    # Compare-and-set on the status read above: a reject (or another approval) that landed in between
    # wins, instead of this write putting a rejected draft back in the outbox.
    session.flush()
    claimed = session.execute(update(Draft).where(Draft.id == draft.id, Draft.status == draft.status)
                              .values(**values)).rowcount
    session.refresh(draft)
    if claimed != 1:
        if draft.status in ("approved", "sending", "sent"):
            return draft
        raise Conflict(f"the draft was {draft.status} meanwhile", code="draft_locked")
    audit.record(session, action="draft.approve", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"message_id": draft.message_id, "to": draft.to_addresses,
                          "edit_ratio": draft.edit_ratio, **({"resend": True} if resend else {})}, ip=ip)
    later(session, "send_draft", draft.id, owner=user.id)
    return draft


def unsend(session: Session, *, user: User, draft_id: uuid.UUID, ip: str | None = None) -> Draft:
    """Undo send: an approved draft whose first attempt has not begun goes back to the user, nothing sent."""
    draft = get(session, user=user, draft_id=draft_id)
    session.flush()
    taken = session.execute(update(Draft).where(Draft.id == draft.id, Draft.status == "approved",
                                                Draft.send_attempts == 0, Draft.delivery_uncertain.is_(False))
                            .values(status="pending", approved_at=None, next_attempt_at=None,
                                    updated_at=_now())).rowcount
    session.refresh(draft)
    if taken != 1:
        raise Conflict("too late to undo: the message is being sent or was sent", code="draft_not_undoable")
    audit.record(session, action="draft.unsend", user_id=user.id, entity_type="draft", entity_id=draft.id, ip=ip)
    return draft


def _hold(draft_id: uuid.UUID) -> None:
    """Wait out an approval's undo window in the send job itself (it is at most 30 s), looking every half
    second, so an undo ends the wait at once and the message goes the moment the window closes. Retries
    (attempts made) are not waited for here: send_due declares them when they are due."""
    limit = time.monotonic() + get_settings().undo_send_seconds + 2
    while time.monotonic() < limit:
        with session_scope() as s:
            d = s.get(Draft, draft_id)
            if d is None or d.status != "approved" or d.send_attempts or d.next_attempt_at is None:
                return
            wait = (d.next_attempt_at - _now()).total_seconds()
        if wait <= 0:
            return
        time.sleep(min(wait, 0.5))


def build_message(draft: Draft, account: EmailAccount) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((account.display_name or "", account.email_address))
    msg["To"] = ", ".join(draft.to_addresses)
    if draft.cc_addresses:
        msg["Cc"] = ", ".join(draft.cc_addresses)
    msg["Subject"] = draft.subject or ""
    msg["Date"] = format_datetime(draft.approved_at or _now())
    msg["Message-ID"] = draft.message_id
    if draft.in_reply_to:
        msg["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        msg["References"] = " ".join(draft.references)
    msg["User-Agent"] = "OpenFyxer"
    msg.set_content(draft.content, charset="utf-8")
    if draft.calendar_ics:
        _add_itip(msg, draft)
    if draft.forward_of:
        with session_scope() as s:
            forward.attach(s, msg, draft)
    return msg.as_bytes()


def _add_itip(msg: EmailMessage, draft: Draft) -> None:
    # RFC 6047: the iTIP object as an alternative of the text, its METHOD repeated as a parameter, so
    # calendar clients (Outlook, Gmail, Apple Mail, Thunderbird) show Accept/Decline buttons; the HTML
    # alternative is the same words for clients that show neither.
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in draft.content.split("\n\n"))
    msg.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html", charset="utf-8")
    msg.add_alternative(draft.calendar_ics, subtype="calendar", charset="utf-8",
                        params={"method": draft.calendar_method or "REQUEST"})


def _claim(draft_id: uuid.UUID) -> bool:
    with session_scope() as s:
        return s.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.status == "approved",
                   (Draft.next_attempt_at.is_(None)) | (Draft.next_attempt_at <= _now()))
            .values(status="sending", sending_started_at=_now(), send_attempts=Draft.send_attempts + 1)
        ).rowcount == 1


def _finish(draft_id: uuid.UUID, action: str, **values) -> None:  # noqa: ANN003
    with session_scope() as s:
        draft = s.get(Draft, draft_id)
        for k, v in values.items():
            setattr(draft, k, v)
        draft.updated_at = _now()
        audit.record(s, action=action, user_id=draft.user_id, entity_type="draft", entity_id=draft.id,
                     details={"status": draft.status, "attempt": draft.send_attempts,
                              **({"error": draft.last_error} if draft.last_error else {})})


def _retry_later(draft: Draft, error: str, *, uncertain: bool = False) -> dict:
    if draft.send_attempts >= get_settings().send_max_attempts:
        return {"status": "failed", "last_error": f"gave up after {draft.send_attempts} attempts: {error}",
                "delivery_uncertain": uncertain or draft.delivery_uncertain}
    delay = AMBIGUOUS_RECHECK if uncertain else timedelta(seconds=30 * 2 ** (draft.send_attempts - 1))
    return {"status": "approved", "last_error": error, "next_attempt_at": _now() + delay,
            "delivery_uncertain": uncertain or draft.delivery_uncertain}


def deliver(*, draft_id: uuid.UUID) -> str:
    """The send job: returns the draft's status afterwards ('skipped' when not claimable).

    Once claimed, the draft never stays in 'sending' because of an error here: one before the
    message was handed over goes back to the user as failed (nothing left), one from the hand-over
    on counts as an uncertain attempt (Sent is checked before any resend)."""
    _hold(draft_id)
    if not _claim(draft_id):
        return "skipped"
    progress = {"handed_over": False}
    try:
        return _send_claimed(draft_id, progress)
    except Exception as e:  # noqa: BLE001 (whatever it was, the claim must be released)
        log.exception("sending draft %s failed unexpectedly", draft_id)
        with session_scope() as s:
            draft = s.get(Draft, draft_id)
        if draft is None or draft.status != "sending":
            raise
        reason = e.message if isinstance(e, OpenFyxerError) else f"{type(e).__name__}: {e}"
        if progress["handed_over"]:
            values = _retry_later(draft, f"the send was interrupted: {reason}"[:1000], uncertain=True)
            _finish(draft_id, "draft.send_retry" if values["status"] == "approved" else "draft.send_failed", **values)
            return values["status"]
        _finish(draft_id, "draft.send_failed", status="failed", last_error=f"not sent: {reason}"[:1000])
        return "failed"


def _send_claimed(draft_id: uuid.UUID, progress: dict) -> str:
    with session_scope() as s:
        draft = s.get(Draft, draft_id)
        account = s.get(EmailAccount, draft.account_id)
        mailbox = open_mailbox(s, account)

    if draft.delivery_uncertain:
        try:
            found = mailbox.in_sent(draft.message_id)
        except OpenFyxerError as e:
            _finish(draft_id, "draft.send_retry", **_retry_later(draft, f"could not check Sent: {e.message}", uncertain=True))
            return "approved"
        if found:
            _finish(draft_id, "draft.sent", status="sent", sent_at=_now(), delivery_uncertain=False, last_error=None)
            return "sent"
        if not account.smtp_saves_sent:
            _finish(draft_id, "draft.send_failed", status="failed", last_error=(
                "delivery uncertain: the connection was lost after the message was sent and this provider does "
                "not file sent mail, so it was not resent automatically; check with the recipient, then send again"))
            return "failed"

    raw = build_message(draft, account)
    progress["handed_over"] = True  # from here on, the message may have left
    try:
        mailbox.send(raw, account.email_address, [*draft.to_addresses, *draft.cc_addresses])
    except (smtp.SendFailed, ews.EwsSendFailed) as e:
        if e.kind == smtp.PERMANENT:
            _finish(draft_id, "draft.send_failed", status="failed", last_error=e.message)
            return "failed"
        values = _retry_later(draft, e.message, uncertain=e.kind == smtp.AMBIGUOUS)
        _finish(draft_id, "draft.send_retry" if values["status"] == "approved" else "draft.send_failed", **values)
        return values["status"]
    _finish(draft_id, "draft.sent", status="sent", sent_at=_now(), delivery_uncertain=False, last_error=None)
    if not account.smtp_saves_sent:
        try:
            mailbox.file_in_sent(draft.message_id, raw)
        except OpenFyxerError as e:  # the mail went out; only the copy is missing
            log.warning("sent %s but could not file it in Sent: %s", draft_id, e.message)
    return "sent"


def due(session: Session) -> list[uuid.UUID]:
    """Drafts to (re)try now; a 'sending' left behind by a killed worker is treated as uncertain."""
    return [draft_id for draft_id, _user in _due(session)]


def _due(session: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
    session.execute(
        update(Draft).where(Draft.status == "sending", Draft.sending_started_at < _now() - STALE_SENDING)
        .values(status="approved", delivery_uncertain=True, next_attempt_at=_now(),
                last_error="the sending worker stopped mid-send")
    )
    return [(d, u) for d, u in session.exec(select(Draft.id, Draft.user_id).where(
        Draft.status == "approved", (Draft.next_attempt_at.is_(None)) | (Draft.next_attempt_at <= _now()))).all()]


def send_due(session: Session) -> int:
    """The periodic retry: a send job for every draft that is due (retries, and sends a dead worker
    left), each its user's, so one slow server holds only its own."""
    rows = _due(session)
    for draft_id, user_id in rows:
        later(session, "send_draft", draft_id, owner=user_id)
    return len(rows)
