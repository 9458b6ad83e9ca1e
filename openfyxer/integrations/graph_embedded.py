"""The embedded knowledge store: the graph in the relational database's kg_* tables, and a flat
in-memory vector index per user built from kg_chunks.

Brute force over unit vectors is one matrix product: 20,000 chunks x 384 dims is ~30 MB and a
few milliseconds, with exact results (no approximate index to tune or rebuild). The index is
rebuilt when the user's chunks change, which (count, newest id) of their rows reveals in one
indexed query, so a write from another process is never missed.

Full-text search is an in-memory BM25 index per user beside it, built the same way but only when
a word search asks for it (a sync writing chunks every second rebuilds nothing until then).
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import Counter, OrderedDict

import numpy as np
from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from openfyxer.core.db import session_scope
from openfyxer.integrations.graph_store import (Batch, Hit, Node, Ref, Step, WriteShortcuts, check_label, check_step,
                                                terms, unit)
from openfyxer.models.knowledge import KgChunk, KgEdge, KgNode

CACHED_USERS = 8  # vector indexes kept in memory (one per recently active user)
BM25_K1, BM25_B = 1.2, 0.75  # the usual values: a word's 3rd use counts little more than its 1st


class TextIndex:
    """BM25 over a user's chunk texts: term -> (rows holding it, how often)."""

    def __init__(self, ids: np.ndarray, texts: list[str]) -> None:
        self.ids = ids
        rows: dict[str, list[int]] = {}
        counts: dict[str, list[int]] = {}
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            found = Counter(terms(text))
            lengths[row] = sum(found.values())
            for term, n in found.items():
                rows.setdefault(term, []).append(row)
                counts.setdefault(term, []).append(n)
        self.postings = {t: (np.array(r, dtype=np.int32), np.array(counts[t], dtype=np.float32))
                         for t, r in rows.items()}
        average = float(lengths.mean()) if len(texts) else 1.0
        self.norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(average, 1.0))

    def top(self, words: list[str], k: int) -> list[int]:
        """Chunk ids of the k best rows for the words (none that holds no word)."""
        scores = np.zeros(len(self.ids), dtype=np.float32)
        n = len(self.ids)
        for term in dict.fromkeys(t for w in words for t in terms(w)):
            if term not in self.postings:
                continue
            rows, tf = self.postings[term]
            idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            scores[rows] += idf * tf * (BM25_K1 + 1) / (tf + self.norm[rows])
        held = int(np.count_nonzero(scores))
        if not held:
            return []
        want = min(k, held)
        top = np.argpartition(-scores, want - 1)[:want]
        return [int(self.ids[i]) for i in top[np.argsort(-scores[top])]]


def _uid(user_id: str) -> uuid.UUID:
    return uuid.UUID(str(user_id))


def _insert(session, table):  # noqa: ANN001, ANN202
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


class EmbeddedStore(WriteShortcuts):
    def __init__(self) -> None:
        self._indexes: OrderedDict[str, tuple[tuple, np.ndarray, np.ndarray]] = OrderedDict()
        self._texts: OrderedDict[str, tuple[tuple, TextIndex]] = OrderedDict()
        self._lock = threading.Lock()

    def setup(self) -> None:
        """The tables come with the database migrations."""

    def close(self) -> None:
        self._indexes.clear()
        self._texts.clear()

    # ------------------------------------------------------------------ graph
    def _node_id(self, session, user_id: str, ref: Ref) -> int | None:  # noqa: ANN001
        check_label(ref.label)
        return session.execute(select(KgNode.id).where(KgNode.user_id == _uid(user_id), KgNode.label == ref.label,
                                                        KgNode.key == ref.key)).scalar()

    def _ids(self, session, user_id: str, refs: set[Ref], create: bool) -> dict[Ref, int]:  # noqa: ANN001
        """Node ids for many refs in a few queries (one per label), creating missing ones."""
        out: dict[Ref, int] = {}
        by_label: dict[str, list[str]] = {}
        for ref in refs:
            by_label.setdefault(check_label(ref.label), []).append(ref.key)

        def lookup(label: str, keys: list[str]) -> None:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                for node_id, key in session.execute(select(KgNode.id, KgNode.key).where(
                        KgNode.user_id == _uid(user_id), KgNode.label == label, KgNode.key.in_(part))).all():
                    out[Ref(label, key)] = node_id

        for label, keys in by_label.items():
            lookup(label, keys)
            missing = [k for k in keys if Ref(label, k) not in out]
            if missing and create:
                # Nothing on conflict: another worker may be indexing the same person right now.
                session.execute(_insert(session, KgNode.__table__).on_conflict_do_nothing(),
                                [{"user_id": _uid(user_id), "label": label, "key": k, "props": {}} for k in missing])
                lookup(label, missing)
        return out

    def write(self, user_id: str, batch: Batch) -> None:
        batch.check()
        refs = {n.ref for n in batch.nodes} | {a for a, _, _ in batch.edges} | {b for _, _, b in batch.edges}
        with session_scope() as s:
            ids = self._ids(s, user_id, refs, create=True)
            if batch.chunks:
                ids |= self._ids(s, user_id, set(batch.chunks) - set(ids), create=False)
            merged: dict[int, dict] = {}
            for n in batch.nodes:
                merged.setdefault(ids[n.ref], {}).update(n.props)
            if merged:
                for row in s.execute(select(KgNode).where(KgNode.id.in_(list(merged)))).scalars():
                    props = {**(row.props or {}), **merged[row.id]}
                    if props != row.props:
                        row.props = props
            if batch.edges:
                s.execute(_insert(s, KgEdge.__table__).on_conflict_do_nothing(),
                          [{"user_id": _uid(user_id), "src_id": ids[a], "rel": rel, "dst_id": ids[b]}
                           for a, rel, b in dict.fromkeys(batch.edges)])
            for item, chunks in batch.chunks.items():
                if item not in ids:
                    raise LookupError(f"no {item.label} {item.key} to attach chunks to")
                s.execute(delete(KgChunk).where(KgChunk.node_id == ids[item]))
                s.add_all([KgChunk(user_id=_uid(user_id), node_id=ids[item], ordinal=c.ordinal, text=c.text,
                                   vector=c.vector.tobytes()) for c in chunks])

    def node(self, user_id: str, ref: Ref) -> Node | None:
        with session_scope() as s:
            node_id = self._node_id(s, user_id, ref)
            if node_id is None:
                return None
            row = s.get(KgNode, node_id)
            return Node(row.label, row.key, dict(row.props or {}))

    def delete(self, user_id: str, ref: Ref) -> None:
        with session_scope() as s:
            node_id = self._node_id(s, user_id, ref)
            if node_id is None:
                return
            s.execute(delete(KgChunk).where(KgChunk.node_id == node_id))
            s.execute(delete(KgEdge).where(or_(KgEdge.src_id == node_id, KgEdge.dst_id == node_id)))
            s.execute(delete(KgNode).where(KgNode.id == node_id))

    def prune(self, user_id: str, refs: list[Ref]) -> int:
        gone = 0
        with session_scope() as s:
            ids = list(self._ids(s, user_id, set(refs), create=False).values())
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                used = set(s.execute(select(KgEdge.src_id).where(KgEdge.src_id.in_(part))).scalars())
                used |= set(s.execute(select(KgEdge.dst_id).where(KgEdge.dst_id.in_(part))).scalars())
                used |= set(s.execute(select(KgChunk.node_id).where(KgChunk.node_id.in_(part))).scalars())
                idle = [n for n in part if n not in used]
                if idle:
                    s.execute(delete(KgNode).where(KgNode.id.in_(idle)))
                gone += len(idle)
        return gone

    def delete_account_mail(self, user_id: str, account_id: str) -> int:
        with session_scope() as s:
            rows = s.execute(select(KgNode.id, KgNode.props).where(KgNode.user_id == _uid(user_id),
                                                                   KgNode.label == "Email")).all()
            ids = [r.id for r in rows if (r.props or {}).get("account_id") == str(account_id)]
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                s.execute(delete(KgChunk).where(KgChunk.node_id.in_(part)))
                s.execute(delete(KgEdge).where(or_(KgEdge.src_id.in_(part), KgEdge.dst_id.in_(part))))
                s.execute(delete(KgNode).where(KgNode.id.in_(part)))
            return len(ids)

    def clear_user(self, user_id: str) -> None:
        with session_scope() as s:
            for table in (KgChunk, KgEdge, KgNode):
                s.execute(delete(table).where(table.user_id == _uid(user_id)))

    def having(self, user_id: str, label: str, name: str, value: str) -> list[Node]:
        with session_scope() as s:
            # Filtered here, as `find` does: JSON is read differently by SQLite and PostgreSQL.
            rows = s.execute(select(KgNode.label, KgNode.key, KgNode.props).where(
                KgNode.user_id == _uid(user_id), KgNode.label == check_label(label)).order_by(KgNode.key)).all()
        return [Node(r.label, r.key, dict(r.props or {})) for r in rows if (r.props or {}).get(name) == value]

    def find(self, user_id: str, label: str, names: list[str], limit: int = 20) -> list[Node]:
        wanted = {n.lower().strip() for n in names if n.strip()}
        if not wanted:
            return []
        with session_scope() as s:
            # Names live in JSON, read differently by SQLite and PostgreSQL: filtered here, over the
            # user's nodes of one label (people and companies: thousands, not millions).
            rows = s.execute(select(KgNode.label, KgNode.key, KgNode.props).where(
                KgNode.user_id == _uid(user_id), KgNode.label == check_label(label)).order_by(KgNode.key)).all()
        def names_of(row) -> set[str]:  # noqa: ANN001
            name = str((row.props or {}).get("name") or "").lower()
            return {row.key.lower(), name, name.split(" ")[0]} - {""}

        found = [Node(r.label, r.key, dict(r.props or {})) for r in rows if names_of(r) & wanted]
        return found[:limit]

    def walk(self, user_id: str, start: Ref, steps: list[Step], limit: int = 100) -> list[Node]:
        with session_scope() as s:
            start_id = self._node_id(s, user_id, start)
            if start_id is None:
                return []
            frontier = {start_id}
            for step in map(check_step, steps):
                if not frontier:
                    return []
                near, far = (KgEdge.src_id, KgEdge.dst_id) if step.direction == "out" else (KgEdge.dst_id, KgEdge.src_id)
                rows = s.execute(
                    select(KgNode.id, KgNode.props).join(KgEdge, far == KgNode.id)
                    .where(near.in_(frontier), KgEdge.rel == step.rel, KgNode.label == step.label,
                           KgNode.user_id == _uid(user_id))
                ).all()
                if step.at_least:
                    name, value = step.at_least
                    rows = [r for r in rows if (r.props or {}).get(name) is not None and r.props[name] >= value]
                frontier = {r.id for r in rows}
            if not frontier:
                return []
            rows = s.execute(select(KgNode).where(KgNode.id.in_(frontier)).order_by(KgNode.key).limit(limit)).scalars()
            return [Node(r.label, r.key, dict(r.props or {})) for r in rows]

    def stats(self, user_id: str) -> dict[str, int]:
        with session_scope() as s:
            out = dict(s.execute(select(KgNode.label, func.count()).where(KgNode.user_id == _uid(user_id))
                                 .group_by(KgNode.label)).all())
            out["edges"] = s.execute(select(func.count()).select_from(KgEdge)
                                     .where(KgEdge.user_id == _uid(user_id))).scalar() or 0
            out["chunks"] = s.execute(select(func.count()).select_from(KgChunk)
                                      .where(KgChunk.user_id == _uid(user_id))).scalar() or 0
            return out

    # ------------------------------------------------------------------ vectors
    def _version(self, session, user_id: str) -> tuple:  # noqa: ANN001
        return tuple(session.execute(select(func.count(), func.max(KgChunk.id))
                                     .where(KgChunk.user_id == _uid(user_id))).one())

    def _index(self, session, user_id: str) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        """(chunk ids, matrix of unit vectors) for the user, rebuilt only when their chunks changed."""
        version = self._version(session, user_id)
        with self._lock:
            cached = self._indexes.get(user_id)
            if cached and cached[0] == version:
                self._indexes.move_to_end(user_id)
                return cached[1], cached[2]
        rows = session.execute(select(KgChunk.id, KgChunk.vector).where(KgChunk.user_id == _uid(user_id))
                               .order_by(KgChunk.id)).all()
        ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=len(rows))
        matrix = (np.frombuffer(b"".join(r.vector for r in rows), dtype=np.float32).reshape(len(rows), -1)
                  if rows else np.zeros((0, 1), dtype=np.float32))
        with self._lock:
            self._indexes[user_id] = (version, ids, matrix)
            self._indexes.move_to_end(user_id)
            while len(self._indexes) > CACHED_USERS:
                self._indexes.popitem(last=False)
        return ids, matrix

    def search(self, user_id: str, vector: np.ndarray, k: int = 10, labels: tuple[str, ...] | None = None) -> list[Hit]:
        query = unit(vector)
        for label in labels or ():
            check_label(label)
        with session_scope() as s:
            ids, matrix = self._index(s, user_id)
            if not len(ids):
                return []
            scores = matrix @ query
            # Extra candidates when filtering by label, so k survive the filter in most cases.
            want = min(len(ids), k * 5 if labels else k)
            top = np.argpartition(-scores, want - 1)[:want]
            top = top[np.argsort(-scores[top])]
            chosen = {int(ids[i]): float(scores[i]) for i in top}
            rows = s.execute(select(KgChunk.id, KgChunk.ordinal, KgChunk.text, KgNode.label, KgNode.key, KgNode.props)
                             .join(KgNode, KgNode.id == KgChunk.node_id).where(KgChunk.id.in_(list(chosen)))).all()
        hits = [Hit(Node(r.label, r.key, dict(r.props or {})), r.ordinal, r.text, chosen[r.id]) for r in rows
                if not labels or r.label in labels]
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def _text_index(self, session, user_id: str) -> TextIndex:  # noqa: ANN001
        version = self._version(session, user_id)
        with self._lock:
            cached = self._texts.get(user_id)
            if cached and cached[0] == version:
                self._texts.move_to_end(user_id)
                return cached[1]
        rows = session.execute(select(KgChunk.id, KgChunk.text).where(KgChunk.user_id == _uid(user_id))
                               .order_by(KgChunk.id)).all()
        index = TextIndex(np.fromiter((r.id for r in rows), dtype=np.int64, count=len(rows)), [r.text for r in rows])
        with self._lock:
            self._texts[user_id] = (version, index)
            self._texts.move_to_end(user_id)
            while len(self._texts) > CACHED_USERS:
                self._texts.popitem(last=False)
        return index

    def search_words(self, user_id: str, words: list[str], vector: np.ndarray, k: int = 10,
                     labels: tuple[str, ...] | None = None) -> list[Hit]:
        query = unit(vector)
        for label in labels or ():
            check_label(label)
        with session_scope() as s:
            order = self._text_index(s, user_id).top(words, k * 5 if labels else k)
            if not order:
                return []
            rows = s.execute(select(KgChunk.id, KgChunk.ordinal, KgChunk.text, KgChunk.vector, KgNode.label, KgNode.key,
                                    KgNode.props).join(KgNode, KgNode.id == KgChunk.node_id)
                             .where(KgChunk.id.in_(order))).all()
        rank = {chunk_id: n for n, chunk_id in enumerate(order)}
        hits = [(rank[r.id], Hit(Node(r.label, r.key, dict(r.props or {})), r.ordinal, r.text,
                                 float(np.frombuffer(r.vector, dtype=np.float32) @ query)))
                for r in rows if not labels or r.label in labels]
        return [h for _, h in sorted(hits, key=lambda x: x[0])][:k]
