"""The knowledge store: one interface, two backends.

`graph_embedded.EmbeddedStore` keeps the graph in the relational database (SQLite by default) and
searches vectors in memory; `neo4j_graph.Neo4jStore` uses Neo4j 5 and its vector index.
`OPENFYXER_NEO4J_URL` picks Neo4j (`knowledge_store.get_store`). tests/test_knowledge_store.py holds both to one contract.

Everything is per user: a node is named by (user, label, key), e.g. (u, "Person", "ana@x.ro"),
(u, "Email", <email id>); nothing of one user is ever returned to another. The searchable text of
an item (an Email or Document) is stored as numbered chunks with unit-length 384-dim embeddings.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from openfyxer.core.errors import ValidationError

DIM = 384
# The spec's graph schema (docs: openfyxer-architecture.md, "Neo4j Graph Schema").
LABELS = ("Person", "Company", "Email", "Document", "Meeting", "Project", "Topic")
RELS = ("SENT", "RECEIVED", "WORKS_AT", "ATTENDED", "HAS_ATTACHMENT", "MENTIONS", "ABOUT", "DISCUSSED",
        "RELATED_TO")


@dataclass(frozen=True)
class Ref:
    label: str
    key: str


@dataclass
class Node:
    label: str
    key: str
    props: dict = field(default_factory=dict)

    @property
    def ref(self) -> Ref:
        return Ref(self.label, self.key)


@dataclass
class Chunk:
    ordinal: int
    text: str
    vector: np.ndarray


@dataclass
class Hit:
    """A chunk near the question, with the item it belongs to; score is the cosine similarity."""

    item: Node
    ordinal: int
    text: str
    score: float


@dataclass
class Batch:
    """Many changes written together (one transaction): how indexing writes an email or document."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[Ref, str, Ref]] = field(default_factory=list)
    chunks: dict[Ref, list[Chunk]] = field(default_factory=dict)  # replaces each item's chunks

    def check(self) -> Batch:
        for n in self.nodes:
            check_label(n.label)
        for a, rel, b in self.edges:
            check_label(a.label), check_rel(rel), check_label(b.label)
        for ref, chunks in self.chunks.items():
            check_label(ref.label)
            for c in chunks:
                c.vector = unit(c.vector)  # refuse a wrong size before anything is written
        return self


@dataclass(frozen=True)
class Step:
    """One hop of a walk: along `rel` (direction "out": this -> next, "in": next -> this) to a node
    labelled `label`; `at_least` keeps nodes whose property is >= a value (ISO dates compare as text)."""

    rel: str
    label: str
    direction: str = "out"
    at_least: tuple[str, str | int | float] | None = None


class KnowledgeStore(Protocol):
    def setup(self) -> None: ...

    def write(self, user_id: str, batch: Batch) -> None:
        """Nodes merged (properties added/replaced), edges made once (missing ends created bare),
        each listed item's chunks replaced (the item must be in the store or in the batch)."""

    def merge_node(self, user_id: str, node: Node) -> None:
        """Create the node or add/replace the given properties (others stay)."""

    def merge_edge(self, user_id: str, src: Ref, rel: str, dst: Ref) -> None:
        """Create the edge once (a missing end is created bare)."""

    def set_chunks(self, user_id: str, item: Ref, chunks: list[Chunk]) -> None:
        """Replace the item's chunks (the item must exist)."""

    def node(self, user_id: str, ref: Ref) -> Node | None: ...

    def delete(self, user_id: str, ref: Ref) -> None:
        """The node, its chunks and its edges."""

    def prune(self, user_id: str, refs: list[Ref]) -> int:
        """Delete those of `refs` that no edge touches and that hold no chunks: what removing an item
        left behind (a topic only it named). Returns how many went; nodes still in use stay."""

    def clear_user(self, user_id: str) -> None: ...

    def delete_account_mail(self, user_id: str, account_id: str) -> int:
        """Every Email node of one mail account (its "account_id" property), with chunks and edges."""

    def search(self, user_id: str, vector: np.ndarray, k: int = 10, labels: tuple[str, ...] | None = None) -> list[Hit]:
        """The k chunks nearest to `vector`, best first (of items with one of `labels`, if given)."""

    def search_words(self, user_id: str, words: list[str], vector: np.ndarray, k: int = 10,
                     labels: tuple[str, ...] | None = None) -> list[Hit]:
        """The k chunks that best hold `words` (BM25: rare words count most, case ignored), best
        first, each scored by its cosine to `vector` like `search`'s hits. Names, codes and figures
        that an embedding blurs are found here; a chunk with none of the words is never returned."""

    def having(self, user_id: str, label: str, name: str, value: str) -> list[Node]:
        """Every node of `label` whose property `name` equals `value`, by key: what one source wrote
        (the calendar's Meeting nodes), so that source can tell which of its nodes are gone."""

    def find(self, user_id: str, label: str, names: list[str], limit: int = 20) -> list[Node]:
        """Nodes of `label` whose key, "name" property or that name's first word is one of `names`
        (case ignored): "acme.ro", "Acme", "Dan Matei" and "Dan" all find their node."""

    def walk(self, user_id: str, start: Ref, steps: list[Step], limit: int = 100) -> list[Node]:
        """The distinct nodes reached from `start` by following `steps` in order."""

    def stats(self, user_id: str) -> dict[str, int]:
        """Nodes per label, plus "edges" and "chunks"."""

    def close(self) -> None: ...


class WriteShortcuts(ABC):
    """One-item writes, for both backends, through their `write`."""

    @abstractmethod
    def write(self, user_id: str, batch: Batch) -> None: ...

    def merge_node(self, user_id: str, node: Node) -> None:
        self.write(user_id, Batch(nodes=[node]))

    def merge_edge(self, user_id: str, src: Ref, rel: str, dst: Ref) -> None:
        self.write(user_id, Batch(edges=[(src, rel, dst)]))

    def set_chunks(self, user_id: str, item: Ref, chunks: list[Chunk]) -> None:
        self.write(user_id, Batch(chunks={item: chunks}))


def check_label(label: str) -> str:
    if label not in LABELS:
        raise ValidationError(f"unknown node label {label!r}")
    return label


def check_rel(rel: str) -> str:
    if rel not in RELS:
        raise ValidationError(f"unknown relationship {rel!r}")
    return rel


def check_step(step: Step) -> Step:
    check_rel(step.rel)
    check_label(step.label)
    if step.direction not in ("out", "in"):
        raise ValidationError(f"a step goes 'out' or 'in', not {step.direction!r}")
    return step


_TERM = re.compile(r"\w+", re.UNICODE)


def terms(text: str) -> list[str]:
    """The words full-text search compares (lower case, two characters or more)."""
    return [t for t in _TERM.findall((text or "").lower()) if len(t) > 1]


def unit(vector: np.ndarray | list[float]) -> np.ndarray:
    """float32, length 1 (so a dot product is the cosine); the wrong size is refused."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if v.shape[0] != DIM:
        raise ValidationError(f"an embedding has {DIM} numbers, not {v.shape[0]}")
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v
