"""Working the inbox: archive, delete, done, star, snooze, and undoing each, one message or many.

A change shows at once here and is mirrored to the mail server by a job (`mirror`), so any other mail
client sees the same: archived and deleted mail is moved (IMAP MOVE) to the account's Archive or Trash,
a star is the \\Flagged flag, a snoozed message waits in a Snoozed folder and comes back to the inbox,
unread, when its time comes (`wake_snoozed`). Until the server has been told, a sync keeps the user's
change (mailstore.refresh_emails); once it has, the server's state rules, so a change another client
makes afterwards wins. "Done" (needs nothing more) is OpenFyxer's own and stays here.

Undo: every action returns a token that restores what the messages were for UNDO_S seconds."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.email import Email, EmailLocation
from openfyxer.models.user import User
from openfyxer.services import audit, ephemeral
from openfyxer.services.mail import drafts, mailstore
from openfyxer.services.mail.accounts import owned_ids
from openfyxer.services.mail.mailbox import open_mailbox

log = logging.getLogger(__name__)

ACTIONS = ("archive", "trash", "inbox", "done", "undone", "star", "unstar", "snooze", "unsnooze", "read", "unread")
NO_REPLY = ("archive", "trash", "done")  # after these the email's pending reply draft is withdrawn
MOVES = {"archive": "archive", "trash": "trash", "inbox": "inbox", "snooze": "snoozed", "unsnooze": "inbox"}
MAX_BULK = 500
FIND_IN = ("snoozed", "archive", "trash", "inbox")  # where a mirror looks for a message it moved before
UNDO_S = 60  # the page offers Undo for a few seconds; the token outlives that for a slow network
MIRROR_GIVE_UP = timedelta(hours=1)  # a change the server refused this long is dropped for the server's
SNOOZE_MAX = timedelta(days=366)


def _now() -> datetime:
    return datetime.now(UTC)


def _state(e: Email) -> dict:
    return {"id": str(e.id), "folder_role": e.folder_role, "starred": e.starred, "is_read": e.is_read,
            "done_at": e.done_at.isoformat() if e.done_at else None,
            "snoozed_until": e.snoozed_until.isoformat() if e.snoozed_until else None}


SNOOZE_CHOICES = ("later", "tomorrow", "weekend", "next_week")


def snooze_time(choice: str, zone: str | None, now: datetime | None = None) -> datetime:
    """When a snooze chosen by name ends, on the user's clock: later today (three hours on, on the hour),
    tomorrow 08:00, Saturday 09:00, next Monday 08:00."""
    from zoneinfo import ZoneInfo

    try:
        tz = ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local = (now or _now()).astimezone(tz)
    day = local.date()
    if choice == "later":
        at = (local + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
        return at.astimezone(UTC)
    if choice == "tomorrow":
        day, hour = day + timedelta(days=1), 8
    elif choice == "weekend":
        day, hour = day + timedelta(days=(5 - day.weekday()) % 7 or 7), 9
    elif choice == "next_week":
        day, hour = day + timedelta(days=7 - day.weekday()), 8
    else:
        raise ValidationError(f"unknown snooze {choice!r}", code="invalid_snooze")
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def _apply(e: Email, action: str, until: datetime | None, now: datetime) -> None:
    if action in ("archive", "trash"):
        e.folder_role, e.done_at, e.snoozed_until = action, e.done_at or now, None
    elif action == "inbox":
        e.folder_role, e.done_at, e.snoozed_until = "inbox", None, None
    elif action == "done":
        e.done_at = now
    elif action == "undone":
        e.done_at = None
    elif action in ("star", "unstar"):
        e.starred = action == "star"
    elif action == "snooze":
        e.folder_role, e.snoozed_until = "snoozed", until
    elif action == "unsnooze":  # back as new: in the inbox, unread, not done
        e.folder_role, e.snoozed_until, e.is_read, e.done_at = "inbox", None, False, None
    elif action in ("read", "unread"):
        e.is_read = action == "read"


def _check(action: str, until: datetime | None, now: datetime) -> None:
    if action not in ACTIONS:
        raise ValidationError(f"unknown action {action!r}", code="invalid_action")
    if action == "snooze":
        if until is None or until.tzinfo is None:
            raise ValidationError("snooze needs a time with its zone", code="invalid_snooze")
        if not now < until <= now + SNOOZE_MAX:
            raise ValidationError("snooze until a time in the coming year", code="invalid_snooze")


def act(session: Session, *, user: User, email_ids: list[uuid.UUID], action: str, until: datetime | None = None,
        ip: str | None = None) -> tuple[list[Email], str]:
    """Apply `action` to the user's messages; returns them and the token that undoes it."""
    now = _now()
    _check(action, until, now)
    ids = list(dict.fromkeys(email_ids))
    if not ids or len(ids) > MAX_BULK:
        raise ValidationError(f"give 1 to {MAX_BULK} messages", code="invalid_selection")
    found = {e.id: e for e in session.exec(select(Email).where(Email.id.in_(ids),
                                                               Email.account_id.in_(owned_ids(user.id)))).all()}
    if len(found) != len(ids):
        raise NotFound("no such email")
    emails = [found[i] for i in ids]
    before = [_state(e) for e in emails]
    for e in emails:
        _change(session, user.id, e, lambda m: _apply(m, action, until, now))
    withdrawn = drafts.withdraw_for(session, user=user, email_ids=ids, ip=ip) if action in NO_REPLY else []
    token = secrets.token_urlsafe(18)
    ephemeral.put("undo", token, json.dumps({"user": str(user.id), "states": before,
                                             "drafts": [str(d) for d in withdrawn]}), UNDO_S)
    audit.record(session, action=f"email.{action}", user_id=user.id, entity_type="email",
                 entity_id=ids[0] if len(ids) == 1 else None,
                 details={"count": len(ids), **({"until": until.isoformat()} if until else {})}, ip=ip)
    return emails, token


def _change(session: Session, owner: uuid.UUID, e: Email, change) -> None:  # noqa: ANN001
    """Change one message here and, if what the server holds differs now, declare its mirror."""
    old = (e.folder_role, e.starred, e.is_read)
    change(e)
    if (e.folder_role, e.starred, e.is_read) != old:
        e.mirror_pending_at = _now()
        later(session, "mirror_email", e.id, owner=owner)
    session.add(e)


def undo(session: Session, *, user: User, token: str, ip: str | None = None) -> list[Email]:
    """Put the messages back as they were before the action the token came with (once)."""
    raw = ephemeral.get("undo", token, take=True)
    saved = json.loads(raw) if raw else None
    if not saved or saved.get("user") != str(user.id):
        raise NotFound("nothing to undo: the moment has passed")
    out = []
    states = {uuid.UUID(st["id"]): st for st in saved["states"]}
    mine = {e.id: e for e in session.exec(select(Email).where(Email.id.in_(list(states)),
                                                              Email.account_id.in_(owned_ids(user.id)))).all()}
    for email_id, st in states.items():
        if (e := mine.get(email_id)) is None:
            continue  # deleted meanwhile

        def restore(m: Email, st: dict = st) -> None:
            m.folder_role, m.starred, m.is_read = st["folder_role"], st["starred"], st["is_read"]
            m.done_at = datetime.fromisoformat(st["done_at"]) if st["done_at"] else None
            m.snoozed_until = datetime.fromisoformat(st["snoozed_until"]) if st["snoozed_until"] else None

        _change(session, user.id, e, restore)
        out.append(e)
    drafts.restore_withdrawn(session, user=user, draft_ids=[uuid.UUID(d) for d in saved.get("drafts", [])])
    audit.record(session, action="email.undo", user_id=user.id, entity_type="email", details={"count": len(out)},
                 ip=ip)
    return out


def wake_snoozed(session: Session, now: datetime | None = None) -> int:
    """Messages whose snooze has ended come back to the inbox, unread."""
    now = now or _now()
    due = session.exec(select(Email).where(Email.snoozed_until.is_not(None), Email.snoozed_until <= now)
                       .limit(1000)).all()
    for e in due:
        owner = session.exec(select(EmailAccount.user_id).where(EmailAccount.id == e.account_id)).one()
        _change(session, owner, e, lambda m: _apply(m, "unsnooze", None, now))
    return len(due)


def mirror_due(session: Session, now: datetime | None = None) -> int:
    """Mirrors a restart or a failure left behind are asked again; ones the server refused for an hour
    are given up and the server's state taken (the user sees where the message really is)."""
    now = now or _now()
    rows = session.exec(select(Email.id, Email.mirror_pending_at, EmailAccount.user_id)
                        .join(EmailAccount, EmailAccount.id == Email.account_id)
                        .where(Email.mirror_pending_at.is_not(None),
                               Email.mirror_pending_at < now - timedelta(seconds=60))
                        .limit(1000)).all()
    for email_id, since, user_id in rows:
        if since < now - MIRROR_GIVE_UP:
            e = session.get(Email, email_id)
            e.mirror_pending_at = None
            session.add(e)
            session.flush()
            if e.snoozed_until is None:
                mailstore.refresh_emails(session, [email_id])
            log.warning("email %s: the server did not take the change for an hour; its state is kept", email_id)
        else:
            later(session, "mirror_email", email_id, owner=user_id)
    return len(rows)


def _places(session: Session, email_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, int, list[str]]]:
    return list(session.exec(select(EmailLocation.id, MailFolder.name, MailFolder.role, EmailLocation.uid,
                                    EmailLocation.flags)
                             .join(MailFolder, MailFolder.id == EmailLocation.folder_id)
                             .where(EmailLocation.email_id == email_id)).all())


def mirror(*, email_id: uuid.UUID) -> str:
    """Make the server hold what the user made of the message: flags first (they travel with a move),
    then the folder. Returns what was done ("moved", "flagged", "local", "nothing", "gone")."""
    for _ in range(3):  # a change made while this ran is mirrored too
        with session_scope() as s:
            e = s.get(Email, email_id)
            if e is None:
                return "gone"
            if e.mirror_pending_at is None:
                return "nothing"
            stamp = e.mirror_pending_at
            account = s.get(EmailAccount, e.account_id)
            mailbox = open_mailbox(s, account)
            places = _places(s, email_id)
            want = {"folder": e.folder_role, "starred": e.starred, "read": e.is_read, "message_id": e.message_id}
        outcome = _tell_server(mailbox, places, want) if mailbox.pushes_read_state else "local"
        with session_scope() as s:
            e = s.get(Email, email_id)
            if e is None:
                return "gone"
            if outcome == "moved":  # the new copy is found by the next sync of that folder
                s.execute(delete(EmailLocation).where(EmailLocation.id.in_([p[0] for p in places])))
            if e.mirror_pending_at == stamp:
                e.mirror_pending_at = None
                s.add(e)
                return outcome
    return outcome


def _tell_server(mailbox, places: list, want: dict) -> str:  # noqa: ANN001
    at = [(name, uid) for _, name, _, uid, _ in places]
    if not at:  # moved by an earlier mirror and not synced since, or snoozed (a folder sync does not read)
        at = mailbox.find(FIND_IN, want["message_id"])
    if not at:
        return "nothing"
    for flag, on in (("\\Flagged", want["starred"]), ("\\Seen", want["read"])):
        differs = [(name, uid) for (_, name, _, uid, flags) in places if (flag in (flags or [])) != on] \
            if places else at
        mailbox.set_flag(differs, flag, on)
    target = want["folder"]
    roles = {role for _, _, role, _, _ in places}
    if target in MOVES.values() and (not places or roles != {target}):
        return "moved" if mailbox.move(at, target) else "flagged"
    return "flagged"
