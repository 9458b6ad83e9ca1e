"""Triage classifiers: spam or not, and "does this email ask the user for something".

Pure functions and small model classes, no database: the triage service loads the models once
(`ensure_spam_model`, `ensure_intent_model`, both under the data folder), feeds them parsed
messages, and stores the user's corrections itself, handing them back through
`IntentModel.with_examples`. Both models are trained on the user's machine, from the SpamAssassin
corpus package and from the sentences that ship (our seed set in `intent_seed` and the public
labelled set in `intent_data`); no weights are shipped.

The implementation lives in classify_spam (hashed n-gram logistic regression), classify_intent
(embeddings + n-grams + cue features), classify_linear (the numpy regression) and classify_text;
classify_bulk tells mailings and automatic mail from a person's (headers and shape), and
classify_deadline whether a request is still current.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from openfyxer.services.assistant.classify_bulk import is_bulk
from openfyxer.services.assistant.classify_intent import (
    CORRECTION_SIMILARITY,
    Embedder,
    IntentModel,
    IntentResult,
    email_text,
    seed_fingerprint,
    shipped_examples,
    train_intent,
)
from openfyxer.services.assistant.classify_spam import (
    ClassifierError,
    SpamModel,
    corpus_messages,
    ensure_spam_model,
    train_spam,
)
from openfyxer.services.assistant.classify_text import new_text, sentences
from openfyxer.services.mail.mime import ParsedMessage

__all__ = [
    "CORRECTION_SIMILARITY", "ClassifierError", "IntentModel", "IntentResult", "SpamModel", "corpus_messages",
    "email_text", "ensure_intent_model", "ensure_spam_model", "is_bulk", "needs_reply", "new_text", "sentences",
    "train_default_intent", "train_intent", "train_spam",
]

log = logging.getLogger(__name__)
_lock = threading.Lock()

def needs_reply(parsed: ParsedMessage, model: IntentModel) -> IntentResult:
    """Whether the user should answer: a person's mail that asks for something.

    Bulk and automatic mail (classify_bulk) never does, even when it asks ("please confirm your address"),
    unless the user corrected a similar email to say otherwise.
    """
    result = model.predict_email(parsed.subject, parsed.body_text)
    if result.source == "model" and result.asks and is_bulk(parsed):
        return IntentResult(result.probability, False, result.sentence, "bulk")
    return result


def train_default_intent(*, embedder: Embedder | None = None) -> IntentModel:
    """The intent model the product ships by default: trained on what ships (`shipped_examples`)."""
    examples = shipped_examples()
    return train_intent([s for s, _ in examples], [label for _, label in examples], trained_on=seed_fingerprint(),
                        embedder=embedder)


def ensure_intent_model(path: str | Path, *, embedder: Embedder | None = None) -> IntentModel:
    """Load the seed-trained intent model at `path`; train and save it when missing or when the
    seed set changed (a new release), keeping the corrections the old file remembered."""
    path = Path(path)
    with _lock:
        old = None
        if path.exists():
            try:
                old = IntentModel.load(path, embedder=embedder)
            except ClassifierError:
                log.warning("intent model at %s is unreadable or outdated; retraining", path)
            if old is not None and old.trained_on == seed_fingerprint():
                return old
        model = train_default_intent(embedder=embedder)
        if old is not None and len(old.memory):
            model = model.with_examples(old.memory, old.memory_labels)
        model.save(path)
        return model
