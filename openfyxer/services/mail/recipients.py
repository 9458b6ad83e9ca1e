"""Who a reply goes to, worked out by code, never by the model.

A reply in a conversation of several people goes to all of them (reply-all is the default there, as
in every mail client people live in): To is whom the message asks replies to go to (Reply-To, else its
sender), Cc is everyone else it was sent to, without the user's own addresses and without repeats."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email


def _unique(addresses: Iterable[str], skip: set[str]) -> list[str]:
    out: list[str] = []
    for a in addresses:
        key = (a or "").strip().lower()
        if key and key not in skip:
            skip.add(key)
            out.append(key)
    return out


def own_addresses(session: Session, user_id) -> set[str]:  # noqa: ANN001
    return {a.lower() for a in session.exec(select(EmailAccount.email_address)
                                            .where(EmailAccount.user_id == user_id)).all()}


def reply_all(email: Email, own: set[str]) -> tuple[list[str], list[str]]:
    """(to, cc) of a reply to `email` that the user (at `own` addresses) writes."""
    mine = {a.lower() for a in own}
    to = _unique(email.reply_to or [email.sender or ""], set(mine))
    if not to:  # the user's own message answered again (a note to self, a sent message): back to its recipients
        to = _unique(email.recipients or [], set(mine))
    cc = _unique([*(email.recipients or []), *(email.cc or [])], {*mine, *to, (email.sender or "").lower()})
    return to, cc
