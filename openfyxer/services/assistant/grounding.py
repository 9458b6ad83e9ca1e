"""What a reply draft may rely on besides the email and its thread, within a small budget.

- **Examples**: the user's own latest replies to this sender (their Sent mail addressed to them,
  the new text only), to show how the user answers this person.
- **Facts**: the few knowledge-store chunks (the user's documents and earlier mail) nearest to the
  email's subject and new text, found by services.knowledge.rag's retrieval, kept only above a
  relevance threshold stricter than the chat's: a draft that states a wrong "fact" is worse than one
  that asks. The email being answered and its thread are in the prompt already and never count.

Both go into the prompt as untrusted blocks (prompts.untrusted), like the email itself, and the
draft records them (Draft.sources) so the user sees what it was based on. The embedded model has a
small context: all of it together stays within BUDGET characters, blocks included, and nothing is
added when nothing is relevant.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC

from sqlalchemy import Text, cast
from sqlmodel import Session, select

from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services.assistant import amounts, prompts
from openfyxer.services.assistant.classify_text import fold, new_text
from openfyxer.services.assistant.language import without_names
from openfyxer.services.knowledge import rag
from openfyxer.services.knowledge.entities import company_domain
from openfyxer.services.mail.accounts import owned_ids

log = logging.getLogger(__name__)

EXAMPLES = 2  # the user's latest replies to the sender
FACTS = 3  # knowledge-store chunks at most
BUDGET = 1700  # characters of untrusted blocks in all (the headers around them add about 250)
EXAMPLE_CHARS = 450  # of one earlier reply's text
FACT_CHARS = 500  # of one chunk's text
MIN_PIECE = 120  # less room than this says nothing useful: stop
FACT_SCORE = 0.42  # rag's score (cosine + words shared with the query); the chat's floor is rag.MIN_SCORE
QUERY_CHARS = 1200  # the embedding model reads 256 tokens anyway
SENT_SCAN = 20  # sent messages that name the sender looked at, newest first
SHARED_WORDS = 2  # content words a fact must share with the email (names, greetings and stop words aside)
# Greetings, sign-offs and the verbs of any request, in English and Romanian: never a shared subject.
_COURTESY = set("""bună buna ziua seara dimineața dimineata mulțumesc multumesc mulțumim multumim stimă stima
respect salut salutări salutari toate cele bune rog vă va anticipat doamna doamnă domnul domnule stimate stimată
stimata kind cheers warm wishes hope well reply soon
send sent review need needs like know make take time next work team back
trimit trimite trimiteți trimiteti revin spuneți spuneti aveți aveti putea puteți puteti poate
monday tuesday wednesday thursday friday saturday sunday luni marți marti miercuri joi vineri sâmbătă sambata
duminică duminica ora""".split())


@dataclass
class Grounding:
    example_blocks: list[str] = field(default_factory=list)
    fact_blocks: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)  # as models.draft.DraftSource, JSON-ready
    trusted_text: str = ""  # what the user wrote themselves (their earlier replies)
    amount_text: str = ""  # the facts whose amounts the draft may quote (services/assistant/amounts.py)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.example_blocks + self.fact_blocks)


def _trim(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(None, 1)[0] if " " in cut[limit // 2:] else cut).rstrip() + "…"


def _date(value) -> str | None:  # noqa: ANN001
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else None


def _snippet(text: str) -> str:
    return " ".join(text.split())[:240]


def earlier_replies(session: Session, *, user: User, email: Email, limit: int = EXAMPLES) -> list[Email]:
    """The user's latest Sent messages to the email's sender, before it and outside its thread."""
    sender = (email.sender or "").strip().lower()
    if "@" not in sender:
        return []
    like = "%" + sender.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
    query = (select(Email).where(Email.account_id.in_(owned_ids(user.id)), Email.folder_role == "sent",
                                 Email.id != email.id, cast(Email.recipients, Text).ilike(like, escape="\\"))
             .order_by(Email.received_at.desc().nulls_last()).limit(SENT_SCAN))
    if email.received_at:
        query = query.where(Email.received_at <= email.received_at)
    found = []
    for row in session.exec(query).all():
        if sender not in {(r or "").strip().lower() for r in row.recipients or []}:
            continue  # the address was only part of another one
        if email.thread_id and row.thread_id == email.thread_id:
            continue  # the thread is in the prompt already
        if new_text(row.body_text or "").strip():
            found.append(row)
        if len(found) == limit:
            break
    return found


def facts(session: Session, *, user: User, email: Email, exclude: set,
          names: list[str] | None = None) -> list[tuple[rag.Candidate, object]]:
    """The best few chunks of the user's documents and other mail for this email, above FACT_SCORE,
    sharing at least SHARED_WORDS of its words. `names` (the user's, the sender's) are left out of the search."""
    # "Hi Ana" names the user in every email she gets: as a name the graph would bring all her mail.
    query = without_names(f"{email.subject or ''}\n{new_text(email.body_text or '')}", names or [])
    query = query.strip()[:QUERY_CHARS]
    if not query:
        return []
    candidates, _ = rag._retrieve(session, user=user, question=query, k=FACTS * 3)
    # Only what was found by meaning has a chunk to show; a graph or keyword hit is a whole email
    # whose fixed score says nothing about this reply. The embedding model reads Romanian poorly:
    # any two formal Romanian emails score high on their greetings alone, so a fact must also share
    # words with the email.
    asked = rag._content_words(query) - _COURTESY
    # Calendar events stay out: a reply's times come from the slot search, never from a remembered meeting.
    # Recorded meetings too: what was said among colleagues is not for a reply to whoever wrote in.
    wanted = [c for c in candidates if c.kind not in ("event", "meeting") and "vector" in c.why and c.text
              and c.score >= FACT_SCORE
              and c.id not in exclude
              and len(asked & rag._content_words(without_names(c.text, names or []))) >= SHARED_WORDS]
    kept = []
    for c, row in rag._load(session, user, wanted):
        if c.kind == "email" and (row.message_id == email.message_id
                                  or (email.thread_id and row.thread_id == email.thread_id)):
            continue  # the email itself (in another of the user's accounts too) or its thread
        kept.append((c, row))
        if len(kept) == FACTS:
            break
    return kept


def _marks(email: Email) -> set[str]:
    """What names the sender in a text: their names, and their company as its domain says (not a mail provider)."""
    marks = {w for w in fold(email.sender_name or "").replace("-", " ").split() if len(w) >= 3}
    domain = company_domain(email.sender or "")
    if domain:
        label = domain.split(".")[0]
        marks |= {label.replace("-", "")} | {w for w in label.split("-") if len(w) >= 4}
    return marks


def concerns(email: Email, *, kind: str, row, text: str) -> bool:  # noqa: ANN001
    """A fact is about the sender when it is the user's document (a price list, a contract), mail they
    took part in, or mail that names them or their company; another client's invoice is not."""
    if kind != "email":
        return True
    sender = (email.sender or "").lower()
    if sender and sender in {(a or "").lower() for a in [row.sender, *(row.recipients or []), *(row.cc or [])]}:
        return True
    said = fold(f"{row.subject or ''} {text}")
    squeezed = said.replace(" ", "").replace("-", "")
    return any(re.search(rf"\b{re.escape(m)}\b", said) or (len(m) >= 6 and m in squeezed) for m in _marks(email))


def gather(session: Session, *, user: User, email: Email, user_name: str, user_email: str) -> Grounding:
    """The examples and facts for a reply to `email`, as untrusted blocks within BUDGET, and their sources."""
    out = Grounding()
    used = 0
    replies = earlier_replies(session, user=user, email=email)
    for row in replies:
        text = new_text(row.body_text or "").strip()
        frame = prompts.untrusted(f"{user_name} <{user_email}>", row.subject, "")
        room = min(EXAMPLE_CHARS, BUDGET - used - len(frame))
        if room < MIN_PIECE:
            break
        body = _trim(text, room)
        block = prompts.untrusted(f"{user_name} <{user_email}>", row.subject, body, limit=room)
        out.example_blocks.append(block)
        out.trusted_text += body + "\n"
        used += len(block)
        out.sources.append({"kind": "email", "id": str(row.id), "title": row.subject or "(no subject)",
                            "date": _date(row.received_at), "snippet": _snippet(text), "role": "example"})
    try:
        found = facts(session, user=user, email=email, exclude={email.id, *(r.id for r in replies)},
                      names=[user_name, user_email, email.sender_name or "", email.sender or ""])
    except Exception:  # noqa: BLE001  (a store or embedding model that is down costs the facts, not the draft)
        log.warning("draft grounding: the knowledge store could not be searched", exc_info=True)
        found = []
    price_asked = amounts.asks_price(f"{email.subject or ''}\n{new_text(email.body_text or '')}")
    for n, (c, row) in enumerate(found, 1):
        source, _ = rag._source(n, c, row)
        label = f"[{'Email' if c.kind == 'email' else 'Document'}, {source.date or 'no date'}]\n"
        sender = row.sender if c.kind == "email" else None
        frame = label + prompts.untrusted(sender, source.title, "")
        room = min(FACT_CHARS, BUDGET - used - len(frame))
        if room < MIN_PIECE:
            break
        body = _trim(c.text, room)
        block = label + prompts.untrusted(sender, source.title, body, limit=room)
        out.fact_blocks.append(block)
        used += len(block)
        out.sources.append({"kind": c.kind, "id": str(row.id), "title": source.title, "date": source.date,
                            "snippet": _snippet(body), "role": "fact"})
        # Asked for their price, the sender gets a figure from their own deal or the user's documents.
        if not price_asked or concerns(email, kind=c.kind, row=row, text=body):
            out.amount_text += body + "\n"
    return out
