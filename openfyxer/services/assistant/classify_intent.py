"""Does an email ask the user for something? A sentence classifier, an email asks if one sentence does.

Each sentence is described by its 384-dim embedding, hashed word n-grams and a handful of cue
features in English and Romanian. The embedding model is English-only, so Romanian leans on the
n-grams and cues (on folded text, so "vă rog" and "va rog" are one cue). The default model is
trained on the user's machine on the sentences that ship (the hand-written seed set in
`intent_seed` and the public labelled set in `intent_data`); the user's own corrections are kept
as labelled email vectors and decide for near-duplicates (same template, same sender habit),
where one correction should change how the next such mail is sorted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openfyxer.services.assistant.classify_linear import Linear, Sparse, fit_logistic, sparse_rows
from openfyxer.services.assistant.classify_spam import ClassifierError
from openfyxer.services.assistant.classify_text import fold, new_text, sentences, tokens
from openfyxer.services.assistant.intent_data import public_examples
from openfyxer.services.assistant.intent_seed import seed_examples

INTENT_DIM = 1 << 15
EMBED_DIM = 384  # all-MiniLM-L6-v2; corrections are stored as these vectors
INTENT_FORMAT = 1
CORRECTION_SIMILARITY = 0.9  # cosine above which a corrected email decides for a new one

Embedder = Callable[[list[str]], np.ndarray]

# Cues on folded text (lower case, no diacritics). Kept few and broad: the n-grams learn the rest.
_W = r"(?:^|\b)"
CUES = {
    "polite": _W + r"(please|pls|kindly|could you|can you|would you|will you|would it be possible|let me know|"
              r"let us know|i'd appreciate|te rog|va rog|va rugam|ai putea|ati putea|poti sa|puteti sa|"
              r"iti cer|va cer|as dori sa|as vrea sa)\b",
    "question_start": r"^(can|could|would|will|do|does|did|are|is|shall|should|when|what|where|who|how|why|any|"
                      r"have you|poti|puteti|ai |ati |esti|sunteti|cand|ce |unde|cine|cum|de ce|cat|mai |stii|stiti|"
                      r"vii|vine|mergem|putem|stabilim|programam)",
    "deadline": _W + r"(by (monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|noon|eod|"
                r"the end|end of|next)|deadline|asap|as soon as|no later than|due (by|on|tomorrow)|urgent|"
                r"pana (luni|marti|miercuri|joi|vineri|sambata|duminica|maine|diseara|la)|termen|cat mai curand|"
                r"urgent|cel tarziu)\b",
    "meeting": _W + r"(meet|meeting|call|schedule|reschedule|available|availability|free for|slot|"
               r"intalni|intalnire|sedinta|apel|disponibil|liber|programam|reprogram|ne vedem)",
    "need": _W + r"(i need|we need|i'd like|i would like|we would like|waiting for your|am nevoie|avem nevoie|"
            r"avea nevoie|astept|asteptam|as vrea|am vrea)\b",
    "marketing": _W + r"(click|unsubscribe|subscribe|offer|free|buy|shop|sale|save|discount|% off|deal|"
                 r"apasa|dezabon|abonat|oferta|reducere|gratuit|cumpara|economis|voucher)",
    "notice": _W + r"(do not reply|don't reply|no-?reply|automated|automatic|has been|have been|was sent|"
              r"nu raspunde|mesaj automat|a fost|au fost)",
    "thanks": _W + r"(thank|thanks|thx|multumesc|multumim|mersi)\b",
    "you": _W + r"(you|your|u|tu|te|iti|ti|voi|va|dumneavoastra)\b",
}
_CUES = [(name, re.compile(rx)) for name, rx in CUES.items()]


def cue_vector(sentence: str) -> np.ndarray:
    folded = fold(sentence).strip()
    values = [float(bool(rx.search(folded))) for _, rx in _CUES]
    values += [float(folded.endswith("?")), float("?" in folded), min(len(folded), 400) / 200.0]
    return np.asarray(values, np.float64)


def _bag(sentence: str) -> dict[str, float]:
    toks = tokens(sentence)
    bag = {t: 1.0 for t in toks}
    bag.update({a + " " + b: 1.0 for a, b in zip(toks, toks[1:])})
    bag["^" + (toks[0] if toks else "")] = 1.0  # how a sentence opens says a lot ("can", "poti", "thanks")
    return bag


def sentence_features(sentences_: list[str], vectors: np.ndarray) -> tuple[np.ndarray, Sparse]:
    dense = np.hstack([np.asarray(vectors, np.float64).reshape(len(sentences_), -1),
                       np.array([cue_vector(s) for s in sentences_]).reshape(len(sentences_), -1)])
    return dense, sparse_rows([_bag(s) for s in sentences_], INTENT_DIM)


def default_embedder(texts: list[str]) -> np.ndarray:
    """The local embeddings, fed in length order: a batch is padded to its longest text, so
    mixing one long sentence with short ones would make every short one cost as much."""
    from openfyxer.integrations.embeddings import embed  # lazily: loading onnxruntime takes seconds

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = embed([texts[i] for i in order])
    out = np.empty_like(vectors)
    out[order] = vectors
    return out


@dataclass(slots=True)
class IntentResult:
    probability: float  # 0..1 that the email asks the user for something
    asks: bool
    sentence: str  # the sentence that asks most clearly: the "reason" to show
    source: str  # "model"; "correction" when a user's corrected email decided; "bulk" (see classify.needs_reply)


def email_text(subject: str, body: str) -> str:
    """What the sender wrote: the subject and the new part of the body (quotes and signature removed)."""
    subject = re.sub(r"^\s*((re|fw|fwd|aw|tr)\s*:\s*)+", "", subject or "", flags=re.I)
    return (subject + "\n\n" + new_text(body or "")).strip()


class IntentModel:
    """P(asks for something) for sentences and emails, with per-user corrections on top."""

    def __init__(self, linear: Linear, *, threshold: float = 0.5, memory: np.ndarray | None = None,
                 memory_labels: np.ndarray | None = None, trained_on: str = "",
                 embedder: Embedder | None = None):
        self.linear = linear
        self.threshold = threshold
        self.memory = np.zeros((0, EMBED_DIM), np.float32) if memory is None else np.asarray(memory, np.float32)
        self.memory_labels = np.zeros(0, bool) if memory_labels is None else np.asarray(memory_labels, bool)
        self.trained_on = trained_on
        self.embedder = embedder or default_embedder

    def predict_sentences(self, sentences_: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        if not sentences_:
            return np.zeros(0)
        vectors = self.embedder(sentences_) if vectors is None else vectors
        return self.linear.proba(*sentence_features(sentences_, vectors))

    def predict_email(self, subject: str, body: str, *, vector: np.ndarray | None = None) -> IntentResult:
        """Whether the email asks for something, and the sentence that says so.

        A user's correction of a very similar email (cosine >= CORRECTION_SIMILARITY on the email
        vector) wins over the model. Pass `vector` (from `email_vector`) when the caller already
        has it, e.g. from the vector index, to save an embedding.
        """
        text = email_text(subject, body)
        parts = sentences(text, limit=20)
        lookup = len(self.memory) > 0
        if lookup and vector is None:
            # one embedding call for the email and its sentences: each call has a fixed cost
            both = self.embedder([text, *parts])
            vector, part_vectors = both[0], both[1:]
        else:
            part_vectors = self.embedder(parts) if parts else None
        if lookup:
            sims = self.memory @ np.asarray(vector, np.float32)
            nearest = int(np.argmax(sims))
            if sims[nearest] >= CORRECTION_SIMILARITY:
                label = bool(self.memory_labels[nearest])
                return IntentResult(1.0 if label else 0.0, label, "", "correction")
        if not parts:
            return IntentResult(0.0, False, "", "model")
        probs = self.predict_sentences(parts, part_vectors)
        best = int(np.argmax(probs))
        return IntentResult(float(probs[best]), bool(probs[best] >= self.threshold), parts[best], "model")

    def email_vector(self, subject: str, body: str) -> np.ndarray:
        """The vector corrections are stored and compared as."""
        return self.embedder([email_text(subject, body)])[0]

    def with_examples(self, vectors: np.ndarray, labels: list[bool] | np.ndarray) -> IntentModel:
        """A copy that also remembers corrected emails (vectors from `email_vector`, True = asks).

        A later correction of the same email overrides the earlier one: the newest is kept.
        """
        vectors = np.asarray(vectors, np.float32).reshape(-1, EMBED_DIM)
        labels = np.asarray(labels, bool).reshape(-1)
        memory, memory_labels = self.memory, self.memory_labels
        for v, label in zip(vectors, labels):
            keep = (memory @ v) < 0.999 if len(memory) else np.zeros(0, bool)
            memory = np.vstack([memory[keep], v[None]])
            memory_labels = np.concatenate([memory_labels[keep], [label]])
        return IntentModel(self.linear, threshold=self.threshold, memory=memory, memory_labels=memory_labels,
                           trained_on=self.trained_on, embedder=self.embedder)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": INTENT_FORMAT, "dim": INTENT_DIM, "threshold": self.threshold, "trained_on": self.trained_on}
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        np.savez_compressed(tmp, dense=self.linear.dense_w, sparse=self.linear.sparse_w.astype(np.float32),
                            bias=np.float64(self.linear.bias), memory=self.memory,
                            memory_labels=self.memory_labels, meta=json.dumps(meta))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path, *, embedder: Embedder | None = None) -> IntentModel:
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                linear = Linear(z["dense"].astype(np.float64), z["sparse"].astype(np.float64), float(z["bias"]))
                memory, memory_labels = z["memory"], z["memory_labels"]
        except (OSError, KeyError, ValueError) as e:
            raise ClassifierError(f"cannot read the intent model {path}: {e}") from e
        if meta.get("format") != INTENT_FORMAT or meta.get("dim") != INTENT_DIM:
            raise ClassifierError(f"{path} was written by another version of the intent model")
        return cls(linear, threshold=meta["threshold"], memory=memory, memory_labels=memory_labels,
                   trained_on=meta["trained_on"], embedder=embedder)


def train_intent(sentences_: list[str], labels: list[bool] | np.ndarray, *, vectors: np.ndarray | None = None,
                 weights: np.ndarray | None = None, trained_on: str = "", embedder: Embedder | None = None,
                 epochs: int = 300) -> IntentModel:
    """Fit the sentence classifier (True = asks for something). Pass `vectors` if already embedded."""
    y = np.asarray(labels, np.float64)
    if len(y) != len(sentences_) or len(set(y.tolist())) < 2:
        raise ClassifierError("training the intent model needs sentences of both classes, one label each")
    embedder = embedder or default_embedder
    vectors = embedder(list(sentences_)) if vectors is None else vectors
    dense, sparse = sentence_features(list(sentences_), vectors)
    linear = fit_logistic(dense, sparse, y, weights=weights, l2=1e-4, epochs=epochs, lr=0.02)
    return IntentModel(linear, trained_on=trained_on, embedder=embedder)


def shipped_examples() -> list[tuple[str, bool]]:
    """Everything the default model learns from: our seed sentences and the public labelled set."""
    return seed_examples() + list(public_examples())


def seed_fingerprint() -> str:
    """Names the examples a model was trained on, so a release with new ones retrains."""
    return "seed:" + hashlib.sha256(json.dumps(shipped_examples()).encode()).hexdigest()[:16]
