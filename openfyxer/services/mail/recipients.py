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


def correspondents(session: Session, user_id, limit: int = 200) -> list[str]:  # noqa: ANN001
    """The addresses the user corresponds with, most frequent first: who wrote to them and whom they wrote
    to, over their latest 2,000 messages. What recipient fields suggest as the user types."""
    from collections import Counter

    own = own_addresses(session, user_id)
    rows = session.exec(select(Email.sender, Email.recipients, Email.cc, Email.folder_role)
                        .join(EmailAccount, EmailAccount.id == Email.account_id)
                        .where(EmailAccount.user_id == user_id, Email.category.is_distinct_from("spam"))
                        .order_by(Email.received_at.desc()).limit(2000)).all()
    seen: Counter[str] = Counter()
    for sender, to, cc, role in rows:
        # Sent mail counts twice: whom the user writes to is likelier than who writes to them.
        for a, weight in ([(x, 2) for x in [*(to or []), *(cc or [])]] if role == "sent" else [(sender, 1)]):
            if a and a.lower() not in own:
                seen[a.lower()] += weight
    return [a for a, _ in seen.most_common(limit)]
