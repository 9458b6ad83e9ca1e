"""What the user's own behaviour says about a sender: do they answer this person, or let their mail lie?

Corrections teach triage what the user says; this is what they do. For each sender of a batch, the
user's last few messages from them that are old enough to have had an answer (REPLY_WINDOW) are
counted as answered (the user's Sent mail replies to them, or a draft for them was sent) or not
(never answered; deleted or archived unread says the same louder). A sender the user answers
almost always gets To respond even when the request model hears no question ("you answered 4 of
Dan's last 5 messages"); a sender whose mail the user never answers is not To respond on the
model's word alone ("you have not answered any of the last 6"). Too few messages decide nothing.

All of it is per user, read from the mail the sync stores, explainable in the reason line, and
cheap: three small queries per sender of a batch (its last messages, the replies to them, the sent
drafts for them), no model call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from openfyxer.models.account import EmailAccount
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.services.mail.accounts import owned_ids

REPLY_WINDOW = timedelta(days=3)  # younger mail may still get its answer: it counts for nothing yet
RECENT = 8  # a sender's last messages looked at: habits change, old ones say less
MIN_SEEN = 3  # fewer messages from a sender decide nothing
ANSWERS = 0.75  # answered at least this share: their mail needs a reply
IGNORES = 0.0  # answered at most this share (none): the model's "asks for something" is not enough


@dataclass(frozen=True)
class Habit:
    seen: int  # messages from the sender old enough to have had an answer, newest RECENT
    answered: int
    dropped_unread: int  # of those, deleted or archived without being read

    @property
    def share(self) -> float:
        return self.answered / self.seen if self.seen else 0.0

    @property
    def answers(self) -> bool:
        return self.seen >= MIN_SEEN and self.share >= ANSWERS

    @property
    def ignores(self) -> bool:
        return self.seen >= MIN_SEEN and self.share <= IGNORES


@dataclass
class Habits:
    by_sender: dict[str, Habit] = field(default_factory=dict)

    def of(self, sender: str | None) -> Habit | None:
        return self.by_sender.get((sender or "").lower())

    def reason(self, sender: str) -> str:
        h = self.by_sender[sender.lower()]
        if h.answers:
            return f"you answered {h.answered} of {sender}'s last {h.seen} messages"
        if h.dropped_unread:
            return f"you have not answered {sender}'s last {h.seen} messages ({h.dropped_unread} removed unread)"
        return f"you have not answered {sender}'s last {h.seen} messages"


def load(session: Session, *, user_id, emails: list[Email], now: datetime) -> Habits:  # noqa: ANN001
    """The habits of the user towards the senders of `emails`, as of `now`."""
    senders = sorted({(e.sender or "").lower() for e in emails if e.sender and "@" in e.sender})
    if not senders:
        return Habits()
    accounts = owned_ids(user_id)
    mine = {a.lower() for a in session.exec(select(EmailAccount.email_address)
                                              .where(EmailAccount.user_id == user_id)).all()}
    out = Habits()
    for sender in senders:
        if sender in mine:
            continue
        rows = session.exec(
            select(Email.message_id, Email.id, Email.is_read, Email.folder_role)
            .where(Email.account_id.in_(accounts), Email.sender == sender, Email.received_at < now - REPLY_WINDOW,
                   (Email.folder_role.is_(None)) | (Email.folder_role != "sent"))
            .order_by(Email.received_at.desc()).limit(RECENT)).all()
        if len(rows) < MIN_SEEN:
            continue
        ids = [r[0] for r in rows]
        replied = set(session.exec(select(Email.in_reply_to).where(
            Email.account_id.in_(accounts), Email.folder_role == "sent", Email.in_reply_to.in_(ids))).all())
        sent_drafts = set(session.exec(select(Draft.email_id).where(
            Draft.user_id == user_id, Draft.status == "sent", Draft.email_id.in_([r[1] for r in rows]))).all())
        answered = sum(r[0] in replied or r[1] in sent_drafts for r in rows)
        dropped = sum(not r[2] and r[3] in ("trash", "archive", None) for r in rows)
        out.by_sender[sender] = Habit(seen=len(rows), answered=answered, dropped_unread=dropped)
    return out

