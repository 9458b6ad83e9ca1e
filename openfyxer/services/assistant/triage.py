"""Sorting mail: urgent, to_respond, fyi, newsletter, spam, with a needs-reply flag and a reason.

Layers, first decisive one wins: the user's own corrections (near-identical mail, or the same
sender corrected twice), header signals of bulk or automatic mail, the spam model, the
request ("asks for something") model with urgency cues and priority contacts, and the language
model only for what stays uncertain on recent mail. Corrections are stored with the email's
embedding, so they change how similar mail is sorted from then on.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.integrations import embeddings
from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email, Notification, TriageFeedback
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.assistant import classifiers, llm, prompts
from openfyxer.services import settings as settings_service

CORRECTION_SIMILARITY = 0.9
_URGENT = re.compile(r"\b(urgent|asap|as soon as possible|immediately|today|by eod|end of day|deadline|critical|"
                     r"urgență|urgent[ăa]?|imediat|astăzi|azi|cât mai repede|cat mai repede|termen)\b", re.I)
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|notifications?|mailer-daemon|postmaster|alerts?)@", re.I)


@dataclass(frozen=True)
class Verdict:
    category: str
    needs_reply: bool
    reason: str
    by: str  # rules | model | llm | user


def email_text(e: Email) -> str:
    return f"{e.subject or ''}\n{(e.body_text or '')[:2000]}"


def _vector_bytes(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype="<f4").tobytes()


def _learned(session: Session, user_id: uuid.UUID) -> tuple[np.ndarray, list[TriageFeedback]]:
    rows = list(session.exec(select(TriageFeedback).where(TriageFeedback.user_id == user_id)).all())
    if not rows:
        return np.zeros((0, embeddings.DIM), dtype=np.float32), []
    return np.stack([np.frombuffer(r.vector, dtype="<f4") for r in rows]), rows


def _from_corrections(e: Email, vector: np.ndarray, learned: tuple[np.ndarray, list[TriageFeedback]]) -> Verdict | None:
    matrix, rows = learned
    if not rows:
        return None
    sims = matrix @ vector
    best = int(np.argmax(sims))
    if sims[best] >= CORRECTION_SIMILARITY:
        cat = rows[best].category
        return Verdict(cat, cat in ("urgent", "to_respond"), "like a message you moved to " + cat.replace("_", " "), "user")
    by_sender = Counter(r.category for r in rows if e.sender and r.sender == e.sender)
    if by_sender:
        cat, n = by_sender.most_common(1)[0]
        if n >= 2:
            return Verdict(cat, cat in ("urgent", "to_respond"), f"you sorted mail from {e.sender} as "
                           + cat.replace("_", " "), "user")
    return None


def _bulk_signal(e: Email) -> str | None:
    if e.auto_submitted and e.auto_submitted != "no":
        return "automatic message (Auto-Submitted)"
    if e.precedence in ("bulk", "list", "junk"):
        return f"sent in bulk (Precedence: {e.precedence})"
    if e.list_unsubscribe or e.list_id:
        return "mailing list or newsletter (List-Unsubscribe)"
    return None


def decide(e: Email, *, vector: np.ndarray, spam_p: float, request_p: float, priority: set[str],
           learned: tuple[np.ndarray, list[TriageFeedback]]) -> Verdict:
    """The verdict from every layer but the language model (pure, for tests and batches)."""
    if hit := _from_corrections(e, vector, learned):
        return hit
    sender = (e.sender or "").lower()
    text = email_text(e)
    if sender in priority:
        asks = request_p >= 0.5
        if asks and _URGENT.search(text):
            return Verdict("urgent", True, "priority contact asks for something urgent", "rules")
        return Verdict("urgent" if asks else "to_respond", True, "from a priority contact", "rules")
    if spam_p >= 0.9:
        return Verdict("spam", False, f"looks like spam ({spam_p:.0%})", "model")
    if bulk := _bulk_signal(e):
        return Verdict("newsletter" if "list" in bulk or "bulk" in bulk else "fyi", False, bulk, "rules")
    if _NOREPLY.match(sender):
        return Verdict("fyi", False, "sent from a no-reply address", "rules")
    if request_p >= 0.5:
        if _URGENT.search(text):
            return Verdict("urgent", True, "asks for something, and soon", "model")
        return Verdict("to_respond", True, "asks you for something", "model")
    return Verdict("fyi", False, "information, no request found", "model")


def _uncertain(spam_p: float, request_p: float) -> bool:
    return 0.5 <= spam_p < 0.9 or 0.35 <= request_p < 0.65


def _ask_llm(session: Session, user: User, e: Email) -> Verdict | None:
    try:
        choice = llm.choose(settings_service.get_or_create(session, user_id=user.id))
        answer = llm.complete(choice, prompts.triage_messages(prompts.untrusted(e.sender, e.subject, e.body_text, 1500)),
                              max_tokens=4, temperature=0)
    except Exception:  # the model is a tie-breaker: without it the classifier's verdict stands
        return None
    word = answer.text.strip().lower().split()[0].strip(".,:;\"'") if answer.text.strip() else ""
    if word in ("urgent", "to_respond", "fyi", "newsletter", "spam"):
        return Verdict(word, word in ("urgent", "to_respond"), f"the language model judged it {word}", "llm")
    return None


def triage_batch(session: Session, *, user: User, emails: list[Email]) -> list[Verdict]:
    """Sort a batch (one embedding call for all) and store the verdicts; user corrections are kept."""
    todo = [e for e in emails if e.triaged_by != "user"]
    if not todo:
        return []
    vectors = embeddings.embed([email_text(e) for e in todo])
    spam_p = classifiers.spam_probabilities(todo)
    request_p = classifiers.request_probabilities(todo, vectors)
    prefs = settings_service.get_or_create(session, user_id=user.id)
    priority = {p.lower() for p in (prefs.priority_contacts or [])}
    learned = _learned(session, user.id)
    recent = datetime.now(UTC) - timedelta(days=get_settings().triage_llm_days)
    verdicts = []
    for e, v, sp, rp in zip(todo, vectors, spam_p, request_p, strict=True):
        verdict = decide(e, vector=v, spam_p=float(sp), request_p=float(rp), priority=priority, learned=learned)
        if verdict.by == "model" and _uncertain(float(sp), float(rp)) and e.received_at and e.received_at >= recent:
            verdict = _ask_llm(session, user, e) or verdict
        verdicts.append(verdict)
    # Written only after every model call: on SQLite the first write holds the database's one
    # write lock until the commit, and the dashboard and the sync would wait out the model.
    for e, verdict in zip(todo, verdicts, strict=True):
        e.category, e.needs_reply, e.triage_reason, e.triaged_by = (verdict.category, verdict.needs_reply,
                                                                     verdict.reason[:500], verdict.by)
        e.processed_at = datetime.now(UTC)
        session.add(e)
        if verdict.category == "urgent":
            _notify(session, user, e)
    session.flush()
    return verdicts


def _notify(session: Session, user: User, e: Email) -> None:
    exists = session.exec(select(Notification.id).where(Notification.user_id == user.id, Notification.kind == "urgent",
                                                        Notification.email_id == e.id)).first()
    if not exists:
        session.add(Notification(user_id=user.id, kind="urgent", email_id=e.id,
                                 title=f"Urgent: {(e.subject or '(no subject)')[:200]} — {e.sender or ''}"[:500]))


def correct(session: Session, *, user: User, email: Email, category: str) -> None:
    """The user moved a message: remember it (with its embedding) so similar mail follows."""
    vector = embeddings.embed_one(email_text(email))
    row = session.exec(select(TriageFeedback).where(TriageFeedback.user_id == user.id,
                                                    TriageFeedback.email_id == email.id)).first()
    if row is None:
        row = TriageFeedback(user_id=user.id, email_id=email.id, category=category, sender=email.sender,
                             vector=_vector_bytes(vector))
    row.category = category
    session.add(row)
    email.category, email.triaged_by = category, "user"
    email.needs_reply = category in ("urgent", "to_respond")
    email.triage_reason = "you chose this category"
    session.add(email)
    session.flush()
    audit.record(session, action="triage.correct", user_id=user.id, entity_type="email", entity_id=email.id,
                 details={"category": category})


def pending(session: Session, *, account_id: uuid.UUID, limit: int) -> list[Email]:
    return list(session.exec(select(Email).where(Email.account_id == account_id, Email.processed_at.is_(None))
                             .order_by(Email.received_at.desc().nulls_last()).limit(limit)).all())


def owner(session: Session, account_id: uuid.UUID) -> User | None:
    account = session.get(EmailAccount, account_id)
    return session.get(User, account.user_id) if account else None
