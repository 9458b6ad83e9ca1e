"""Unsubscribing from a mailing list in one click, the way its List-Unsubscribe header offers.

RFC 8058 one-click first: when the message says `List-Unsubscribe-Post: List-Unsubscribe=One-Click`,
a POST of `List-Unsubscribe=One-Click` to its https address (through the outbound policy, as every
address a stranger gave; redirects not followed). Else the mailto form (RFC 2369): a message to that
address, with the subject and body it names, sent through the outbox like any message the user
approved (the click is the approval). A web page without one-click is only offered to the user to
open: what it asks cannot be known. Each attempt is audited."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from sqlmodel import Session

from openfyxer.core.errors import Conflict, OpenFyxerError
from openfyxer.integrations import notify_http
from openfyxer.models.draft import DraftCreate
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.mail import drafts, outbox
from openfyxer.services.mail.emails import get_owned

_URI = re.compile(r"<\s*([^>\s]+)\s*>")


@dataclass(frozen=True)
class Offer:
    one_click: str | None  # the https address to POST to
    mailto: str | None
    web: str | None  # a page to open (no one-click)


@dataclass(frozen=True)
class Outcome:
    how: str  # "one_click" | "mailto" | "web"
    detail: str  # the receiver's answer, the draft sent, or the page to open


def offer(header: str | None, one_click: bool) -> Offer:
    uris = _URI.findall(header or "")
    web = next((u for u in uris if u.lower().startswith(("https://", "http://"))), None)
    mailto = next((u for u in uris if u.lower().startswith("mailto:")), None)
    return Offer(one_click=web if one_click and web else None, mailto=mailto, web=None if one_click else web)


def _mail_parts(uri: str) -> tuple[str, str, str]:
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    address = unquote(parts.path).split(",")[0].strip()
    subject = (query.get("subject") or ["unsubscribe"])[0][:200] or "unsubscribe"
    body = (query.get("body") or ["unsubscribe"])[0][:2000] or "unsubscribe"
    return address, subject, body


def unsubscribe(session: Session, *, user: User, email_id: uuid.UUID, ip: str | None = None) -> Outcome:
    """Unsubscribe from the list `email_id` came from, by the best way it offers."""
    email = get_owned(session, user=user, email_id=email_id)
    way = offer(email.list_unsubscribe, email.list_unsubscribe_one_click)
    if way.one_click:
        try:
            answer = notify_http.post(way.one_click, purpose="unsubscribe address",
                                      data=b"List-Unsubscribe=One-Click",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            status, why = answer.status, answer.error or f"it answered {answer.status}"
        except OpenFyxerError as e:  # an address the outbound policy refuses, a name that does not resolve
            status, why = None, e.message
        audit.record(session, action="email.unsubscribe", user_id=user.id, entity_type="email", entity_id=email.id,
                     details={"how": "one_click", "status": status, "error": None if status else why}, ip=ip)
        if status is not None and 200 <= status < 300:
            return Outcome("one_click", str(status))
        if not way.mailto:
            raise Conflict(f"the list did not take the unsubscribe ({why})", code="unsubscribe_refused")
    if way.mailto:
        address, subject, body = _mail_parts(way.mailto)
        try:
            draft = drafts.create(session, user=user, data=DraftCreate(account_id=email.account_id, to=[address],
                                                                       subject=subject, content=body), ip=ip)
        except OpenFyxerError as e:
            raise Conflict(f"the list's unsubscribe address cannot be used: {e.message}",
                           code="unsubscribe_unusable") from e
        session.flush()
        outbox.approve(session, user=user, draft_id=draft.id, ip=ip)
        audit.record(session, action="email.unsubscribe", user_id=user.id, entity_type="email", entity_id=email.id,
                     details={"how": "mailto", "draft_id": str(draft.id)}, ip=ip)
        return Outcome("mailto", str(draft.id))
    if way.web:
        return Outcome("web", way.web)
    raise Conflict("this message offers no way to unsubscribe", code="unsubscribe_none")
