"""`python -m bench.knowledge`: indexing speed, retrieval latency and retrieval quality of the
knowledge base, on the embedded store and on Neo4j 5.

Mail: the first EMAILS messages of the SpamAssassin corpus (`bench.corpus`; real ham mail from
mailing lists and people), stored as synced mail by `bench.dashboard.seed` (the sync's own storage
code) in a fresh SQLite database.

index_per_s_*   emails per second through `services.knowledge.indexing.index_account` (entities, graph,
                chunking, MiniLM embeddings, store writes), on each backend. Embedding is most of it.
p95_ms_*        milliseconds for one top-10 vector search (`store.search`, rows of the hits
                included; the question's embedding and the LLM excluded), 100 questions, with
                10,000 emails in the store: the EMAILS real ones plus copies of their chunk
                vectors (new ids, slight noise) written straight to the store, since embedding
                10,000 emails would take this machine many minutes and changes nothing searched;
                another user's 10,000 such emails are in the same store.
recall_at_5     QUESTIONS questions, each a sentence taken from one email's own text (its first
                three words dropped); a hit when one of the first five emails that
                `services.rag.retrieve` returns contains that sentence in the text it was taken
                from (the sender's own lines; the corpus repeats some mails, and any copy answers). Measured on the real emails only.
citation_hit    for the first ANSWERED of those questions, `services.rag.answer` with the local
                model (the embedded default when installed, else SmolLM2): the share of answers
                whose cited sources include an email containing the sentence.
answer_p50_s    median seconds from the question to the whole answer (retrieval, prompt, model),
first_token_p50_s  and to its first streamed words, over those ANSWERED questions, as the
                Knowledge page and the chat run them (`rag.prepare`, then `rag.stream`).
Progress goes to stderr; the last line of stdout is the JSON figures.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

EMAILS = int(os.environ.get("BENCH_EMAILS", "1500"))
TOTAL = 10_000
QUESTIONS = 100
ANSWERED = 12
SEED = 20261127

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _questions(session, account_id: uuid.UUID, rng: random.Random) -> list[tuple[str, str]]:  # noqa: ANN001
    """(question, sentence) pairs from real sentences of the mail (8 to 30 words, no links or quotes)."""
    from sqlmodel import select

    from openfyxer.models.email import Email
    from openfyxer.services.assistant.classify_text import new_text

    rows = session.exec(select(Email.body_text).where(Email.account_id == account_id)).all()
    sentences = []
    for body in rows:
        text = " ".join(new_text(body or "").split())
        found = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text)
                 if 8 <= len(s.split()) <= 30 and not re.search(r"https?://|@|>|\||_{3,}|-{3,}|={3,}", s)]
        if found:
            sentences.append(rng.choice(found))
    rng.shuffle(sentences)
    return [(" ".join(s.rstrip(".!?").split()[3:]), s) for s in sentences[:QUESTIONS]]


def _said(body: str | None) -> str:
    """The text a question's sentence was taken from: the sender's own lines, spaces joined (so a
    sentence that ran on past a quoted block is found where it was taken)."""
    from openfyxer.services.assistant.classify_text import new_text

    return " ".join(new_text(body or "").split())


def _base_chunks(user_id: uuid.UUID) -> list[tuple[str, str, bytes]]:
    """(subject, text, vector) of every chunk the embedded store holds for the user."""
    from sqlmodel import select

    from openfyxer.core.db import session_scope
    from openfyxer.models.knowledge import KgChunk, KgNode

    with session_scope() as s:
        rows = s.exec(select(KgNode.props, KgChunk.text, KgChunk.vector).join(KgNode, KgNode.id == KgChunk.node_id)
                      .where(KgChunk.user_id == user_id)).all()
    return [((props or {}).get("subject", ""), text, vector) for props, text, vector in rows]


def _fill(store, user_id: str, base: list[tuple[str, str, bytes]], target: int) -> None:  # noqa: ANN001
    """Copies of real chunk vectors (new ids, slight noise) until the store holds `target` emails."""
    import numpy as np

    from openfyxer.integrations.graph_store import Batch, Chunk, Node, Ref

    noise = np.random.default_rng(SEED)
    have, i = store.stats(user_id).get("Email", 0), 0
    while have < target:
        batch = Batch()
        for _ in range(min(500, target - have)):
            subject, text, vector = base[i % len(base)]
            key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{i}"))
            batch.nodes.append(Node("Email", key, {"subject": subject, "date": "2026-01-01T00:00:00"}))
            vec = np.frombuffer(vector, dtype=np.float32) + noise.normal(0, 0.01, 384).astype(np.float32)
            batch.chunks[Ref("Email", key)] = [Chunk(0, text, vec)]
            i, have = i + 1, have + 1
        store.write(user_id, batch)
    _log(f"  store filled to {store.stats(user_id).get('Email', 0)} emails")


def _latency(store, user_id: str, questions: list[tuple[str, str]]) -> float:  # noqa: ANN001
    from openfyxer.integrations import embeddings

    vectors = embeddings.embed([q for q, _ in questions])
    store.search(user_id, vectors[0], k=10)  # warm (the embedded index is built on first use)
    times = []
    for v in vectors:
        t0 = time.perf_counter()
        store.search(user_id, v, k=10)
        times.append((time.perf_counter() - t0) * 1000)
    _log(f"  top-10 search over {store.stats(user_id).get('Email', 0)} emails: p50 {_p(times, .5):.1f} ms, "
         f"p95 {_p(times, .95):.1f} ms")
    return round(_p(times, 0.95), 1)


def _index(account_id: uuid.UUID, label: str) -> float:
    from sqlalchemy import update

    from openfyxer.core.db import session_scope
    from openfyxer.models.email import Email
    from openfyxer.services.knowledge import indexing

    with session_scope() as s:
        s.execute(update(Email).values(indexed_at=None))
    t0 = time.perf_counter()
    done = indexing.index_account(account_id=account_id)
    took = time.perf_counter() - t0
    _log(f"{label}: indexed {done} emails in {took:.1f} s ({done / took:.1f} per second)")
    return round(done / took, 1)


def main() -> int:
    from openfyxer.core.config import reset_settings
    from openfyxer.core.db import reset_engines

    work = Path(tempfile.mkdtemp(prefix="of-bench-knowledge-"))
    os.environ["OPENFYXER_DATA_DIR"] = str(work / "data")
    os.environ.pop("OPENFYXER_NEO4J_URL", None)
    subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], check=True, env=dict(os.environ),
                   capture_output=True)
    reset_settings()
    reset_engines()

    from sqlmodel import select

    from bench.dashboard import seed
    from openfyxer.core.db import session_scope
    from openfyxer.integrations.knowledge_store import get_store
    from openfyxer.models.account import EmailAccount
    from openfyxer.services import auth
    from openfyxer.services.knowledge import rag

    with session_scope() as s:
        user = auth.register(s, email="bench@example.com", password="a long bench password")
        user_id = user.id
        # Another user whose 10,000 emails share the store when searches are timed.
        other = str(auth.register(s, email="other@example.com", password="a long bench password").id)
    seed("bench@example.com", EMAILS)
    with session_scope() as s:
        account_id = s.exec(select(EmailAccount.id).where(EmailAccount.user_id == user_id)).one()
        questions = _questions(s, account_id, random.Random(SEED))
    _log(f"{len(questions)} questions, e.g. {questions[0][0]!r}")

    figures: dict[str, object] = {"emails": EMAILS}
    figures["index_per_s_embedded"] = _index(account_id, "embedded")

    # Quality, on the real emails only.
    hits = 0
    with session_scope() as s:
        from openfyxer.models.email import Email
        from openfyxer.models.user import User

        me = s.get(User, user_id)
        for question, sentence in questions:
            found = rag.retrieve(s, user=me, question=question, k=5)
            bodies = s.exec(select(Email.body_text).where(Email.id.in_([c.id for c in found]))).all()
            hits += any(sentence in _said(b) for b in bodies)
    figures["recall_at_5"] = round(hits / len(questions), 3)
    _log(f"recall@5: {figures['recall_at_5']}")

    cited, answer_s, first_s = 0, [], []
    with session_scope() as s:
        me = s.get(User, user_id)
        from openfyxer.services.assistant import llm

        warm = rag.prepare(s, user=me, question="Which email says this?")  # the model loads once, untimed
        if warm.choice is not None:
            llm.complete(warm.choice, [{"role": "user", "content": "Say OK."}], max_tokens=2, temperature=0,
                         use_cache=False)
        for question, sentence in questions[:ANSWERED]:
            # As the Knowledge page and the chat run it: retrieval, then the answer streamed.
            start = time.perf_counter()
            prepared = rag.prepare(s, user=me, question=f"Which email says this: {question}?")
            pieces, first = [], None
            for piece in rag.stream(prepared):
                first = first if first is not None else time.perf_counter() - start
                pieces.append(piece)
            answer = rag.finish(prepared, "".join(pieces))
            answer_s.append(time.perf_counter() - start)
            first_s.append(first if first is not None else answer_s[-1])
            ids = [src.id for src in answer.sources] if answer.grounded else []
            bodies = s.exec(select(Email.body_text).where(Email.id.in_(ids))).all() if ids else []
            cited += any(sentence in _said(b) for b in bodies)
            _log(f"answer {len(answer_s)}: {answer_s[-1]:.1f} s (first words {first_s[-1]:.1f} s), "
                 f"{len(prepared.sources)} sources, cited {[x.n for x in answer.sources] if answer.grounded else '-'}")
    figures["citation_hit"] = round(cited / ANSWERED, 3)
    figures["answer_p50_s"] = round(statistics.median(answer_s), 1)
    figures["first_token_p50_s"] = round(statistics.median(first_s), 1)
    _log(f"citation hit: {figures['citation_hit']} over {ANSWERED} answers")

    base = _base_chunks(user_id)
    store = get_store()
    _fill(store, str(user_id), base, TOTAL)
    _fill(store, other, base, TOTAL)
    figures["p95_ms_embedded"] = _latency(store, str(user_id), questions)

    from tests.neo4jserver import start_neo4j  # the test suite's Neo4j (Maven Central's neo4j-harness)

    neo4j = start_neo4j()
    try:
        os.environ["OPENFYXER_NEO4J_URL"] = neo4j.url
        reset_settings()
        store = get_store()
        figures["index_per_s_neo4j"] = _index(account_id, "neo4j")
        _fill(store, str(user_id), base, TOTAL)
        _fill(store, other, base, TOTAL)
        figures["p95_ms_neo4j"] = _latency(store, str(user_id), questions)
        store.close()
    finally:
        neo4j.stop()
    order = ("emails", "index_per_s_embedded", "index_per_s_neo4j", "p95_ms_embedded", "p95_ms_neo4j", "recall_at_5",
             "citation_hit", "answer_p50_s", "first_token_p50_s")
    print(json.dumps({k: figures[k] for k in order}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
