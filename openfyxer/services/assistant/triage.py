"""Sorting mail: urgent, to_respond, fyi, newsletter, spam, with a needs-reply flag and a reason.

Layers, first decisive one wins: the user's own corrections, priority contacts, the spam model,
senders the user always answers (services.assistant.behaviour), bulk and automatic mail (headers
and shape, classify_bulk), the request ("asks for something") model with urgency cues - unless the
user never answers that sender -, and the language model only for what stays uncertain on recent mail.
Last, urgent must still be current: mail older than URGENT_MAX_AGE, or whose every deadline has
passed (classify_deadline), is at most to_respond, and its reason says why.

A correction teaches at once, per user: later mail from the same list (List-Id), the same sender
address, or - for bulk mail - the same sender domain follows it, unless that domain is a public
provider's (gmail.com...) or a platform many senders share. Corrections are stored with the
email's embedding, so near-identical mail from anyone follows them too. All of it is rules over
what the Email row stores: no model call per message.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.integrations import embeddings
from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email, Notification, TriageFeedback
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.assistant import behaviour, classifiers, llm, prompts
from openfyxer.services.assistant.classify_bulk import Bulk, bulk_signal, is_shared_domain, list_key, sender_domain
from openfyxer.services.assistant.classify_deadline import age_words, day_words, passed_deadline
from openfyxer.services.assistant.classify_text import new_text
from openfyxer.services import settings as settings_service
from openfyxer.services.notify import events as notify_events

CORRECTION_SIMILARITY = 0.9
URGENT_MAX_AGE = timedelta(days=7)  # older mail is never urgent today, whatever it says
_URGENT = re.compile(r"\b(urgent|asap|as soon as possible|immediately|today|by eod|end of day|deadline|critical|"
                     r"urgență|urgent[ăa]?|imediat|astăzi|azi|cât mai repede|cat mai repede|termen)\b", re.I)
LABELS = {"urgent": "Urgent", "to_respond": "To respond", "fyi": "FYI", "newsletter": "Newsletter", "spam": "Spam"}
_ASKING = ("urgent", "to_respond")


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


# ---- what the user taught ---------------------------------------------------------------------

@dataclass(frozen=True)
class Lesson:
    """One correction and what it generalises by."""

    category: str
    sender: str | None  # the corrected mail's sender address
    list_id: str | None  # its list, as list_key() gives it (`id.example.org`)
    domain: str | None  # its sender domain, only when it was bulk mail from a domain of its own


@dataclass
class Learned:
    """A user's corrections: embeddings for near-identical mail, lessons (oldest first) for the rest."""

    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, embeddings.DIM), dtype=np.float32))
    rows: list[TriageFeedback] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)

    def latest(self, **match: str) -> tuple[Lesson, int] | None:
        """The newest lesson whose fields equal `match`, and how many lessons agree with its category."""
        found = [lesson for lesson in self.lessons if all(getattr(lesson, k) == v for k, v in match.items())]
        if not found:
            return None
        return found[-1], sum(lesson.category == found[-1].category for lesson in found)


@dataclass(frozen=True)
class _Corrected:
    """What bulk_signal reads of a corrected email (not its raw bytes, which can be large)."""

    sender: str | None
    sender_name: str | None
    subject: str | None
    body_text: str | None
    body_html: str | None
    list_id: str | None
    list_unsubscribe: str | None
    precedence: str | None
    auto_submitted: str | None
    in_reply_to: str | None


_CORRECTED = [getattr(Email, name) for name in _Corrected.__dataclass_fields__]


def _learned(session: Session, user_id: uuid.UUID) -> Learned:
    found = session.exec(select(TriageFeedback, *_CORRECTED).join(Email, Email.id == TriageFeedback.email_id)
                         .where(TriageFeedback.user_id == user_id)
                         .order_by(TriageFeedback.created_at, TriageFeedback.id)).all()
    if not found:
        return Learned()
    rows, lessons = [], []
    for fb, *columns in found:
        corrected = _Corrected(*columns)
        sender = (fb.sender or corrected.sender or "").lower() or None
        domain = sender_domain(sender)
        own_domain = domain if bulk_signal(corrected) is not None and not is_shared_domain(domain) else None
        rows.append(fb)
        lessons.append(Lesson(fb.category, sender, list_key(corrected.list_id), own_domain))
    return Learned(np.stack([np.frombuffer(r.vector, dtype="<f4") for r in rows]), rows, lessons)


def _by_user(category: str, reason: str) -> Verdict:
    return Verdict(category, category in _ASKING, reason, "user")


def _from_corrections(e: Email, vector: np.ndarray, learned: Learned, *, bulk: Bulk | None,
                      request_p: float) -> Verdict | None:
    """The user's own say: the same list, the same sender, near-identical text, the same bulk sender domain."""
    sender = (e.sender or "").lower()
    key = list_key(e.list_id)
    if key and (hit := learned.latest(list_id=key)):
        return _by_user(hit[0].category, f"you moved mail from this list ({key}) to {LABELS[hit[0].category]}")
    if sender and (hit := learned.latest(sender=sender)):
        lesson, agreeing = hit
        # One message of a person moved down says little about their next question: a person's
        # request is kept out of To respond by their sender alone once the user did so twice.
        personal_question = bulk is None and request_p >= 0.5 and lesson.category not in _ASKING
        if not personal_question or agreeing >= 2:
            return _by_user(lesson.category, f"you moved mail from {sender} to {LABELS[lesson.category]}")
    if learned.rows:
        sims = learned.matrix @ vector
        best = int(np.argmax(sims))
        if sims[best] >= CORRECTION_SIMILARITY:
            cat = learned.rows[best].category
            return _by_user(cat, f"like a message you moved to {LABELS[cat]}")
    domain = sender_domain(sender)
    if bulk is not None and domain and not is_shared_domain(domain):
        # Another list of the same sender is another list: its own corrections decide, not these.
        for lesson in reversed(learned.lessons):
            if lesson.domain == domain and not (key and lesson.list_id and lesson.list_id != key):
                return _by_user(lesson.category, f"you moved mail from {domain} to {LABELS[lesson.category]}")
    return None


# ---- the verdict ------------------------------------------------------------------------------

def decide(e: Email, *, vector: np.ndarray, spam_p: float, request_p: float, priority: set[str],
           learned: Learned, now: datetime | None = None, habits: behaviour.Habits | None = None) -> Verdict:
    """The verdict from every layer but the language model (pure, for tests and batches)."""
    verdict = _decide(e, vector=vector, spam_p=spam_p, request_p=request_p, priority=priority, learned=learned,
                      bulk=bulk_signal(e), habits=habits or behaviour.Habits())
    return current(verdict, e, now=now or datetime.now(UTC))


def _decide(e: Email, *, vector: np.ndarray, spam_p: float, request_p: float, priority: set[str],
            learned: Learned, bulk: Bulk | None, habits: behaviour.Habits) -> Verdict:
    if hit := _from_corrections(e, vector, learned, bulk=bulk, request_p=request_p):
        return hit
    sender = (e.sender or "").lower()
    text = email_text(e)
    if sender in priority:  # the user's own word, before bulk: "tell me when the CI alerts@ writes"
        asks = request_p >= 0.5
        if asks and _URGENT.search(text):
            return Verdict("urgent", True, "priority contact asks for something urgent", "rules")
        return Verdict("urgent" if asks else "to_respond", True, "from a priority contact", "rules")
    if spam_p >= 0.9:
        return Verdict("spam", False, f"looks like spam ({spam_p:.0%})", "model")
    habit = habits.of(sender)
    if habit is not None and habit.answers:  # whatever the model hears, and on a list too: they answer this person
        urgent = request_p >= 0.5 and _URGENT.search(text) and bulk is None
        return Verdict("urgent" if urgent else "to_respond", True, habits.reason(sender), "habit")
    if bulk is not None:  # whatever its text asks ("Reply now!"): nobody waits for an answer to a mailing
        return Verdict(bulk.kind, False, bulk.reason, "rules")
    if request_p >= 0.5:
        if _URGENT.search(text):
            return Verdict("urgent", True, "asks for something, and soon", "model")
        if habit is not None and habit.ignores:
            return Verdict("fyi", False, f"it may ask for something, but {habits.reason(sender)}", "habit")
        return Verdict("to_respond", True, "asks you for something", "model")
    return Verdict("fyi", False, "information, no request found", "model")


_SOON = {"asks for something, and soon": "asks for something",
         "priority contact asks for something urgent": "priority contact asks for something"}


def current(verdict: Verdict, e: Email, *, now: datetime) -> Verdict:
    """Urgent only while it is current: not weeks old, and not with every deadline it names passed.
    Stale urgent mail still asks for something: it stays to_respond, and the reason says why."""
    if verdict.category != "urgent":
        return verdict
    base = _SOON.get(verdict.reason, verdict.reason)
    received = e.received_at
    if received is not None and received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    if received is not None and now - received > URGENT_MAX_AGE:
        return Verdict("to_respond", True, f"{base}, but it is {age_words(now - received)}", verdict.by)
    asked = f"{e.subject or ''}\n{new_text(e.body_text or '')[:3000]}"  # not the deadlines of quoted mail
    if passed := passed_deadline(asked, sent=received, now=now):
        return Verdict("to_respond", True, f"{base}, but its deadline ({day_words(passed[0])}) has passed", verdict.by)
    return verdict


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


def triage_batch(session: Session, *, user: User, emails: list[Email], now: datetime | None = None) -> list[Verdict]:
    """Sort a batch (one embedding call for all) and store the verdicts; user corrections are kept.
    `now` is when the sorting happens (a replay of old mail passes the mail's own time)."""
    todo = [e for e in emails if e.triaged_by != "user"]
    if not todo:
        return []
    vectors = embeddings.embed([email_text(e) for e in todo])
    spam_p = classifiers.spam_probabilities(todo)
    request_p = classifiers.request_probabilities(todo, vectors)
    prefs = settings_service.get_or_create(session, user_id=user.id)
    priority = {p.lower() for p in (prefs.priority_contacts or [])}
    learned = _learned(session, user.id)
    now = now or datetime.now(UTC)
    habits = behaviour.load(session, user_id=user.id, emails=todo, now=now)
    recent = now - timedelta(days=get_settings().triage_llm_days)
    verdicts = []
    for e, v, sp, rp in zip(todo, vectors, spam_p, request_p, strict=True):
        verdict = decide(e, vector=v, spam_p=float(sp), request_p=float(rp), priority=priority, learned=learned,
                         now=now, habits=habits)
        if verdict.by == "model" and _uncertain(float(sp), float(rp)) and e.received_at and e.received_at >= recent:
            verdict = current(_ask_llm(session, user, e) or verdict, e, now=now)
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
    notify_events.urgent_mail(session, user=user, email=e)


def correct(session: Session, *, user: User, email: Email, category: str) -> None:
    """The user moved a message: remember it (with its embedding), so that from the next triage on
    mail from the same list, sender or bulk sender domain, and near-identical mail, follows it."""
    vector = embeddings.embed_one(email_text(email))
    row = session.exec(select(TriageFeedback).where(TriageFeedback.user_id == user.id,
                                                    TriageFeedback.email_id == email.id)).first()
    if row is None:
        row = TriageFeedback(user_id=user.id, email_id=email.id, category=category,
                             sender=(email.sender or "").lower() or None, vector=_vector_bytes(vector))
    row.category = category
    row.created_at = datetime.now(UTC)  # the newest correction of a list or a sender is the one that counts
    session.add(row)
    email.category, email.triaged_by = category, "user"
    email.needs_reply = category in _ASKING
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
