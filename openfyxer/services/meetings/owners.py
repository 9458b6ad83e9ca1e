"""Who owns an action item: the name the model read in the transcript, matched by code to one of the
meeting's attendees, else to someone the user corresponds with (a sender's name in their mail).

The name must be said in the lines the item cites: a name the model brought from elsewhere (or
invented) is not an owner. Without speaker labels "I will do it" names nobody, and stays unassigned."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email
from openfyxer.services.meetings.extract import fold

_SELF = {"i", "me", "eu", "we", "noi", "us", "everyone", "everybody", "toti", "all", "team", "echipa"}


@dataclass(frozen=True)
class Owner:
    name: str | None
    email: str | None = None


def _tokens(text: str) -> list[str]:
    return [t for t in "".join(c if c.isalnum() else " " for c in fold(text)).split() if len(t) >= 2]


def _matches(name: str, candidate_name: str, candidate_email: str | None) -> bool:
    mine, theirs = _tokens(name), _tokens(candidate_name)
    local = _tokens((candidate_email or "").split("@")[0])
    if not mine:
        return False
    if theirs and (mine == theirs or mine[0] == theirs[0] and (len(mine) == 1 or mine[-1] == theirs[-1])):
        return True
    return bool(local) and (mine == local or (len(mine) == 1 and local[0] == mine[0]))


def said_in(name: str, cited: str) -> bool:
    words = set(_tokens(cited))
    return any(t in words for t in _tokens(name) if t not in _SELF)


def _from_mail(session: Session, user_id: uuid.UUID, name: str) -> tuple[str, str] | None:
    first = _tokens(name)[0]
    accounts = select(EmailAccount.id).where(EmailAccount.user_id == user_id)
    rows = session.exec(select(Email.sender, Email.sender_name).where(
        Email.account_id.in_(accounts), Email.sender_name.is_not(None),
        func.lower(Email.sender_name).contains(first[:4])).limit(500)).all()
    counts = Counter((s.lower(), n) for s, n in rows if s and _matches(name, n or "", s))
    by_address = Counter()
    for (address, _), n in counts.items():
        by_address[address] += n
    if not by_address:
        return None
    (best, n), *rest = by_address.most_common(2)
    if rest and rest[0][1] == n:
        return None  # two people answer to that name as often: not ours to pick
    shown = max((k for k in counts if k[0] == best), key=lambda k: counts[k])[1]
    return shown, best


def match(session: Session, *, user_id: uuid.UUID, name: str | None, cited: str, attendees: list[dict]) -> Owner:
    """The owner of an item whose model-given owner is `name` and whose cited lines read `cited`."""
    if not name or not _tokens(name) or set(_tokens(name)) <= _SELF or not said_in(name, cited):
        return Owner(None)
    hits = [a for a in attendees if _matches(name, a.get("name") or "", a.get("email"))]
    if len({(a.get("email") or a.get("name")) for a in hits}) == 1:
        return Owner(hits[0].get("name") or name, hits[0].get("email"))
    if not hits and (known := _from_mail(session, user_id, name)):
        return Owner(known[0], known[1])
    return Owner(name)
