"""Local embeddings from packaged weights: 384 dimensions, unit length, meaning-aware."""

from __future__ import annotations

import numpy as np

from openfyxer.integrations import embeddings


def test_vectors_have_384_dimensions_and_unit_length():
    """GIVEN a few texts WHEN embedded THEN one 384-dim unit vector per text, empty text included."""
    v = embeddings.embed(["Can we meet on Tuesday?", "", "Factura lunii octombrie este atașată."])
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)


def test_similar_meaning_is_closer_than_unrelated_text():
    """GIVEN a question, its paraphrase and an unrelated sentence WHEN embedded THEN the paraphrase is nearest."""
    q, para, other = embeddings.embed(["When is the budget meeting?", "What time do we discuss the budget?",
                                       "The cat sleeps on the warm windowsill."])
    assert float(q @ para) > float(q @ other) + 0.2


def test_model_folder_is_assembled_once_with_checked_weights(tmp_path):
    """GIVEN the packaged weights WHEN the model folder is built THEN it holds the checked weights and tokenizer."""
    d = embeddings.model_dir()
    assert (d / ".complete").read_text() == embeddings.WEIGHTS_SHA256
    assert {"model.onnx", "tokenizer.json"} <= {p.name for p in d.iterdir()}
    assert embeddings.model_dir() == d


def test_batch_keeps_the_order_of_its_texts():
    """GIVEN texts of very different lengths WHEN embedded as a batch THEN each row is that text's own vector."""
    texts = ["A much longer sentence about quarterly budgets, invoices and the meeting next week.", "Hi", "Ok then."]
    batch = embeddings.embed(texts)
    for text, row in zip(texts, batch, strict=True):
        assert float(row @ embeddings.embed_one(text)) > 0.999
