"""Answers over the user's mail and documents, with their sources.

1. The question is embedded and the nearest chunks are found (services.knowledge.indexing indexed
   them), with those that hold the question's rarer words (full-text search in the same store).
2. The graph widens that: a company named in the question brings the mail exchanged with its
   people, a person named brings what they sent (within "this week / this month" if it says so),
   and what they share with the question ranks first.
3. Capitalised words and quoted phrases are also looked up as keywords in the mail.
4. The model answers only from those sources, numbered, and cites them as [n]; text from the
   sources is untrusted data in the prompt. With nothing relevant, or when the model says the
   sources do not hold the answer, the answer says so instead of guessing.

A question about the state of the mailbox ("what do I need to reply to today?", "which drafts are
waiting?") is not searched for: services.knowledge.inbox_queries answers it from the database with
a fixed, read-only list, written by code, and the rows are its sources.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from openfyxer.core.textfold import fold, folded
from openfyxer.integrations import embeddings
from openfyxer.integrations.graph_store import Hit, Step
from openfyxer.integrations.knowledge_store import get_store
from openfyxer.models.calendar import CalendarEvent
from openfyxer.models.document import Document
from openfyxer.models.email import Email
from openfyxer.models.knowledge_api import Answer, Source
from openfyxer.models.meeting import Meeting
from openfyxer.models.user import User
from openfyxer.services.assistant import llm, prompts
from openfyxer.services.knowledge import calendar_index, entities, inbox_queries, meeting_index, meeting_queries
from openfyxer.services.mail.accounts import owned_ids
from openfyxer.services.assistant.classify_text import new_text
from openfyxer.services import settings as settings_service

MIN_SCORE = 0.30  # below this cosine, MiniLM's nearest chunk is usually unrelated
GRAPH_SCORE = 0.45  # what an item found only through the graph counts as
KEYWORD_SCORE = 0.40
MEETINGS = 3  # a person named brings their latest few meetings
KINDS = {"Email": "email", "Document": "document", "Meeting": "event"}  # a recorded Meeting: "meeting" (_kind)
NOT_FOUND = prompts.NOT_IN_SOURCES
ANSWER_TOKENS = 180  # a cited answer is a few sentences; the small local models ramble past that
# What the model reads is most of an answer's time on a laptop's CPU (prompt evaluation, then each
# token): the sources are the best few, not a fixed six, and each is the part of its chunk nearest
# the question. The best source is always kept; others only while they score close to it.
ANSWER_SOURCES = 4
# Scores add cosine, shared words and graph or keyword bonuses, so "close to the best" is a ratio:
# a source scoring under this share of the best one adds words, rarely the answer.
CLOSE = 0.55
SOURCE_CHARS = 420
# The word search's own order, as a bonus for its first few: its top chunk holds the question's
# rarest words, which a cosine over a 600-character chunk can rank below looser neighbours.
# One or two words ("what did Dan ask?") rank chunks by little more than their length: no bonus.
WORDS_RANK, WORDS_RANKED = 0.1, 3
LEXICAL = 0.3  # weight of the question's words found in a chunk, beside its cosine

_PERIODS = (
    (re.compile(r"\b(today|azi|astăzi|astazi)\b", re.I), timedelta(days=1)),
    (re.compile(r"\b(this week|last week|past week|săptămâna|saptamana)\b", re.I), timedelta(days=7)),
    (re.compile(r"\b(this month|last month|past month|luna (asta|aceasta|trecută|trecuta))\b", re.I),
     timedelta(days=31)),
    (re.compile(r"\b(this year|anul acesta)\b", re.I), timedelta(days=366)),
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zà-ž]+(?:\s[A-Z][a-zà-ž]+)?)\b")
_QUOTED = re.compile(r"[\"“„']([^\"”']{3,60})[\"”']")
_WORD = re.compile(r"[\wà-ž.-]+", re.I)
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class Candidate:
    # "email" | "document" | "event" (a calendar instance, Meeting in the graph) | "meeting" (a recording)
    kind: str
    id: uuid.UUID
    score: float
    text: str = ""
    why: set[str] = field(default_factory=set)  # "vector", "graph", "keyword"
    at_s: float | None = None  # a meeting chunk's start in its recording


def _kind(node) -> str:  # noqa: ANN001
    """What a store item is as a source: recorded meetings and calendar events are both Meeting nodes."""
    if node.label == "Meeting" and node.props.get("origin") == meeting_index.ORIGIN:
        return "meeting"
    return KINDS.get(node.label, "document")


def _start(hit: Hit) -> float | None:
    """Where a recorded meeting's chunk starts (the node keeps its chunks' times, by ordinal)."""
    starts = hit.item.props.get("starts") or []
    return float(starts[hit.ordinal]) if 0 <= hit.ordinal < len(starts) else None


def since(question: str, now: datetime | None = None) -> str | None:
    """The start of the period the question names ("this month"), as the graph's date text."""
    now = now or datetime.now(UTC)
    for pattern, span in _PERIODS:
        if pattern.search(question):
            return (now - span).strftime("%Y-%m-%dT%H:%M:%S")
    return None


def _graph(user_id: str, question: str) -> tuple[dict[str, tuple[str, float]], list[str]]:
    """Emails (and the meetings of people) reached through companies and people named in the
    question, as key -> (kind, score), and what was found."""
    store = get_store()
    words = [w.strip(".").lower() for w in _WORD.findall(question)]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    after = since(question)
    reached: dict[str, tuple[str, float]] = {}
    notes: list[str] = []
    date_step = ("date", after) if after else None
    for company in store.find(user_id, "Company", words + pairs):
        people = store.walk(user_id, company.ref, [Step("WORKS_AT", "Person", "in")])
        for direction in ("RECEIVED", "SENT"):
            for e in store.walk(user_id, company.ref, [Step("WORKS_AT", "Person", "in"),
                                                       Step(direction, "Email", at_least=date_step)], limit=50):
                reached[e.key] = ("email", GRAPH_SCORE)
        notes.append(f"{company.props.get('name', company.key)}: " + ", ".join(
            f"{p.props.get('name') or p.key} <{p.key}>" for p in people[:20]))
    names = [w for w in words + pairs if len(w) >= 3 and w not in entities.STOP]
    for person in _people_named(user_id, names):
        for e in store.walk(user_id, person.ref, [Step("SENT", "Email", at_least=date_step)], limit=50):
            reached[e.key] = ("email", GRAPH_SCORE)
        met = store.walk(user_id, person.ref, [Step("ATTENDED", "Meeting", at_least=date_step)], limit=500)
        for m in sorted(met, key=lambda m: m.props.get("date") or "", reverse=True)[:MEETINGS]:
            reached[m.key] = (_kind(m), GRAPH_SCORE)  # their latest meetings, not a year of stand-ups
        notes.append(f"{person.props.get('name') or person.key} <{person.key}>")
    return reached, notes


def _people_named(user_id: str, names: list[str]) -> list:  # noqa: ANN202
    """People whose name, first name or address is in the question ("Ana", "Dan Matei")."""
    return get_store().find(user_id, "Person", names, limit=5)


def retrieve(session: Session, *, user: User, question: str, k: int = 6) -> list[Candidate]:
    return _retrieve(session, user=user, question=question, k=k)[0]


def _retrieve(session: Session, *, user: User, question: str, k: int) -> tuple[list[Candidate], list[str]]:
    """The best k candidates, and the people and companies the graph found for the question."""
    user_id = str(user.id)
    store = get_store()
    vector = embeddings.embed_one(question)
    hits: list[Hit] = store.search(user_id, vector, k=max(k * 6, 30))
    wanted = _content_words(question)
    # The chunks holding the question's rarer words join those nearest in meaning: a sentence
    # remembered word for word, a name or a code the embedding blurs among thousands of chunks.
    by_words = store.search_words(user_id, sorted(wanted), vector, k=max(k * 2, 10))
    first_by_words: dict[str, int] = {}
    if len(wanted) >= WORDS_RANKED:
        for rank, h in enumerate(by_words):
            first_by_words.setdefault(h.item.key, rank)
    hits += by_words
    found: dict[str, Candidate] = {}
    for h in hits:
        kind = _kind(h.item)
        # The meaning first; the question's own words in the text settle near ties (names, codes,
        # figures that an embedding of 384 numbers blurs).
        score = h.score + LEXICAL * _overlap(wanted, h.text)
        if h.item.key in first_by_words:
            score += WORDS_RANK / (1 + first_by_words[h.item.key])
        c = found.get(h.item.key)
        at = _start(h) if kind == "meeting" else None
        if c is None:
            found[h.item.key] = Candidate(kind, uuid.UUID(h.item.key), score, h.text, {"vector"}, at)
        elif score > c.score:
            c.score, c.text, c.at_s = score, h.text, at
    reached, notes = _graph(user_id, question)
    for key, (kind, score) in reached.items():
        if key in found:
            found[key].score += 0.15  # what the question names and what it means agree
            found[key].why.add("graph")
        else:
            found[key] = Candidate(kind, uuid.UUID(key), score, "", {"graph"})
    for phrase in _keywords(question):
        for email_id in _keyword_mail(session, user, phrase):
            c = found.setdefault(str(email_id), Candidate("email", email_id, KEYWORD_SCORE, "", set()))
            c.why.add("keyword")
    ranked = sorted(found.values(), key=lambda c: -c.score)
    return ranked[:k], notes


def _content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _TOKEN.findall(text or ""))
            if len(w) > 2 and w not in entities.STOP}


def _overlap(wanted: set[str], text: str) -> float:
    """The share of the question's content words that the text contains."""
    return len(wanted & _content_words(text)) / len(wanted) if wanted else 0.0


def _keywords(question: str) -> list[str]:
    words = {m.group(1) for m in _QUOTED.finditer(question)}
    words |= {m.group(1) for m in _CAPITALISED.finditer(question) if m.group(1).lower() not in entities.STOP}
    return sorted(words)[:3]


def _keyword_mail(session: Session, user: User, phrase: str) -> list[uuid.UUID]:
    owned = owned_ids(user.id)
    like = f"%{fold(phrase).replace('%', '').replace('_', '')}%"  # diacritics ignored, as in the inbox's search
    return list(session.exec(select(Email.id).where(Email.account_id.in_(owned), folded(Email.subject).like(like) |
                                                    folded(Email.body_text).like(like))
                             .order_by(Email.received_at.desc()).limit(3)).all())


def _load(session: Session, user: User, candidates: list[Candidate]) -> list[tuple[Candidate, object]]:
    """The rows behind the candidates, the user's own only (a stale index never leaks)."""
    owned = owned_ids(user.id)
    email_ids = [c.id for c in candidates if c.kind == "email"]
    doc_ids = [c.id for c in candidates if c.kind == "document"]
    event_ids = [c.id for c in candidates if c.kind == "event"]
    meeting_ids = [c.id for c in candidates if c.kind == "meeting"]
    rows: dict[uuid.UUID, object] = {}
    if email_ids:
        rows |= {e.id: e for e in session.exec(select(Email).where(Email.id.in_(email_ids),
                                                                  Email.account_id.in_(owned))).all()}
    if doc_ids:
        rows |= {d.id: d for d in session.exec(select(Document).where(Document.id.in_(doc_ids),
                                                                     Document.user_id == user.id)).all()}
    if event_ids:
        rows |= {e.id: e for e in session.exec(select(CalendarEvent).where(CalendarEvent.id.in_(event_ids),
                                                                          CalendarEvent.user_id == user.id)).all()}
    if meeting_ids:
        rows |= {m.id: m for m in session.exec(select(Meeting).where(Meeting.id.in_(meeting_ids),
                                                                    Meeting.user_id == user.id)).all()}
    return [(c, rows[c.id]) for c in candidates if c.id in rows]


def focus(text: str, wanted: set[str], size: int = SOURCE_CHARS) -> str:
    """The `size` characters of `text` around most of the question's words, cut at word ends.

    The window opens a little before the first word it holds: what answers a question usually
    follows the words the question shares with it ("the invoice number is ...")."""
    text = " ".join((text or "").split())
    if len(text) <= size:
        return text
    anchors = [m.start() for m in _TOKEN.finditer(text) if m.group().lower() in wanted] or [0]

    def window(at: int) -> int:
        start = max(0, min(at - size // 4, len(text) - size))
        return text.rfind(" ", 0, start) + 1 if start else 0

    best = max((window(a) for a in anchors), key=lambda i: (_overlap(wanted, text[i:i + size]), -i))
    piece = text[best:best + size]
    if best + size < len(text) and " " in piece[size // 2:]:
        piece = piece.rsplit(" ", 1)[0]
    return ("…" if best else "") + piece + ("…" if best + size < len(text) else "")


def _source(n: int, c: Candidate, row, wanted: set[str] | None = None) -> tuple[Source, str]:  # noqa: ANN001
    """The citation and the text the model reads for it (focused on the question's words when given)."""
    if c.kind == "email":
        # Found through the graph or a keyword, it has no chunk yet: its opening stands in.
        text = c.text or (entities.chunks(f"{row.subject or ''}\n{new_text(row.body_text or '')}", limit=1) or [""])[0]
        text = focus(text, wanted) if wanted is not None else text
        block = prompts.untrusted(row.sender, row.subject, text, limit=1500)
        date = row.received_at.astimezone(UTC).strftime("%Y-%m-%d") if row.received_at else None
        return Source(n=n, kind="email", id=row.id, title=row.subject or "(no subject)", date=date,
                      snippet=" ".join(text.split())[:240], score=round(c.score, 3)), \
            f"[{n}] Email, {date or 'no date'}\n{block}"
    if c.kind == "event":
        return _event_source(n, c, row, wanted)
    if c.kind == "meeting":
        return _meeting_source(n, c, row, wanted)
    text = c.text or (row.content_text or "")[:1500]
    text = focus(text, wanted) if wanted is not None else text
    date = row.created_at.astimezone(UTC).strftime("%Y-%m-%d") if row.created_at else None
    block = prompts.untrusted(None, row.filename, text, limit=1500)
    return Source(n=n, kind="document", id=row.id, title=row.filename or "document", date=date,
                  snippet=" ".join(text.split())[:240], score=round(c.score, 3)), f"[{n}] Document, {date or ''}\n{block}"


def _event_source(n: int, c: Candidate, row: CalendarEvent, wanted: set[str] | None) -> tuple[Source, str]:
    """A calendar instance as a source: its date where it was written (the day its people saw)."""
    zone = calendar_index.zone_of(row.tzid)
    text = c.text or calendar_index.text_of(row, zone)
    text = focus(text, wanted) if wanted is not None else text
    date = (row.start_time if row.is_all_day else row.start_time.astimezone(zone)).strftime("%Y-%m-%d")
    block = prompts.untrusted(row.organizer, row.title, text, limit=1500)
    source = Source(n=n, kind="event", id=row.id, title=row.title or "(no title)", date=date,
                    snippet=" ".join(text.split())[:240], score=round(c.score, 3))
    return source, f"[{n}] Calendar event, {date}\n{block}"


def _meeting_source(n: int, c: Candidate, row: Meeting, wanted: set[str] | None) -> tuple[Source, str]:
    """A recorded meeting as a source, linked to the moment its chunk starts. What was said is other
    people's words: untrusted data in the prompt, like an email's body."""
    # Found through the graph only (a person named), it has no chunk: the transcript's opening stands in.
    text = c.text or (entities.chunks(row.transcript or row.summary or "", limit=1) or [""])[0]
    text = focus(text, wanted) if wanted is not None else text
    started = getattr(row, "started_at", None) or row.created_at
    date = started.astimezone(UTC).strftime("%Y-%m-%d") if started else None
    at = f", at {int(c.at_s) // 60}:{int(c.at_s) % 60:02d}" if c.at_s is not None else ""
    block = prompts.untrusted("a meeting recording's transcript", row.title, text, limit=1500)
    source = Source(n=n, kind="meeting", id=row.id, title=row.title or "(no title)", date=date,
                    snippet=" ".join(text.split())[:240], score=round(c.score, 3), at_s=c.at_s,
                    link=meeting_index.link(row.id, c.at_s))
    return source, f"[{n}] Meeting transcript, {date or 'no date'}{at}\n{block}"


NOTHING = "I could not find anything about this in your mail or documents."


@dataclass
class Prepared:
    """What the model is asked (None when nothing relevant was found), and the sources it may cite;
    or, for a question about the mailbox's state, the answer already written (`text`)."""

    messages: list[dict] | None
    sources: list[Source]
    choice: llm.Choice | None = None
    text: str | None = None


def prepare(session: Session, *, user: User, question: str, k: int = 6, history: list[dict] | None = None,
            search: str | None = None) -> Prepared:
    """Retrieval and the prompt; `search` is what to look for if not the question itself (a follow-up).
    A question about the mailbox's state gets its listing instead, with no model to ask."""
    listing = meeting_queries.answer(session, user=user, question=question) \
        or inbox_queries.answer(session, user=user, question=question)
    if listing is not None:
        return Prepared(None, listing.sources, text=listing.text)
    candidates, notes = _retrieve(session, user=user, question=search or question, k=k)
    loaded = _load(session, user, [c for c in candidates if c.score >= MIN_SCORE or c.why & {"graph", "keyword"}])
    if not loaded:
        return Prepared(None, [])
    best = loaded[0][0].score
    loaded = [(c, row) for c, row in loaded if c.score >= best * CLOSE][:ANSWER_SOURCES]
    wanted = _content_words(f"{question} {search or ''}")
    sources, blocks = zip(*(_source(n, c, row, wanted) for n, (c, row) in enumerate(loaded, 1)), strict=True)
    choice = llm.choose(settings_service.get_or_create(session, user_id=user.id))
    return Prepared(prompts.answer_messages(question, list(blocks), notes, history), list(sources), choice)


def finish(prepared: Prepared, text: str, nothing: str = NOTHING) -> Answer:
    """The model's text as an answer: its citations kept, or "not found" said plainly."""
    if prepared.text is not None:
        return Answer(answer=prepared.text, grounded=True, sources=prepared.sources)
    text = (text or "").strip()
    if prepared.messages is None or not text or NOT_FOUND in text:
        return Answer(answer=nothing, grounded=False, sources=prepared.sources)
    cited = {int(n) for n in re.findall(r"\[(\d{1,2})\]", text)}
    kept = [s for s in prepared.sources if s.n in cited] or prepared.sources
    return Answer(answer=text, grounded=True, sources=kept)


def complete(prepared: Prepared) -> Answer:
    """The model's whole answer to a prepared question (none asked when nothing was found)."""
    if prepared.messages is None:
        return finish(prepared, "")
    return finish(prepared, llm.complete(prepared.choice, prepared.messages, max_tokens=ANSWER_TOKENS,
                                         temperature=0.1).text)


def answer(session: Session, *, user: User, question: str, k: int = 6, history: list[dict] | None = None,
           search: str | None = None) -> Answer:
    return complete(prepare(session, user=user, question=question, k=k, history=history, search=search))


def stream(prepared: Prepared) -> llm.AnyStream:
    """The model's answer as it is written (pieces of text); `finish` the joined text afterwards.
    An answer written already comes in one piece. Read it with `llm.follow` from async code."""
    if prepared.text is not None:
        return llm.Pieces((prepared.text,))
    if prepared.messages is None:
        return llm.Pieces(())
    return llm.stream(prepared.choice, prepared.messages, max_tokens=ANSWER_TOKENS, temperature=0.1)
