"""`python -m bench.triage`: spam and "asks for something" accuracy on held-out data.

Spam: the SpamAssassin corpus, a stratified 80/20 split with a fixed seed; the model is trained
on the 80 and scored on the 20 (F1 with spam as the positive class). Intent: the public
email-intent sentences that ship in the package (`intent_data`, Apache-2.0), a stratified 80/20
split with a fixed seed, scored on the 20. What ships is what is measured: the headline
`intent_accuracy` and `intent_f1` are the model a fresh install trains (our seed sentences and the
public set), with the 20 held out of its training; `intent_*_seed_only` is the model of our seed
sentences alone, as shipped before the public set was added, for comparison. Needs-reply learned
from behaviour: the `replay_*` figures of bench.replay (real list mailboxes replayed in date
order, judged on what the user replied to; `--no-replay` skips its ten minutes). The last line is
the JSON figures; timings are on this machine's cores.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")

import numpy as np  # noqa: E402

from bench.corpus import messages  # noqa: E402
from openfyxer.services.assistant.classify import train_intent, train_spam  # noqa: E402
from openfyxer.services.assistant.classify_intent import default_embedder  # noqa: E402
from openfyxer.services.assistant.intent_data import public_examples  # noqa: E402
from openfyxer.services.assistant.intent_seed import seed_examples  # noqa: E402
from openfyxer.services.mail.mime import parse_message  # noqa: E402

SPAM_GROUPS = {"spam-1", "spam-2"}
SEED = 20240601


def stratified_split(labels: np.ndarray, test_share: float = 0.2, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows): the same share of each class in both, the same rows every run."""
    rng = np.random.default_rng(seed)
    test = []
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        rng.shuffle(rows)
        test.extend(rows[: round(len(rows) * test_share)])
    test_rows = np.sort(np.asarray(test))
    return np.setdiff1d(np.arange(len(labels)), test_rows), test_rows


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_spam() -> dict:
    corpus = messages()
    parsed = [parse_message(raw) for _, raw in corpus]
    y = np.array([group in SPAM_GROUPS for group, _ in corpus])
    train, test = stratified_split(y)
    t0 = time.perf_counter()
    model = train_spam([parsed[i] for i in train], y[train])
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = np.array([model.predict_proba(parsed[i]) >= model.threshold for i in test])
    predict_ms = (time.perf_counter() - t0) * 1000 / len(test)
    truth = y[test]
    tp = int((pred & truth).sum())
    f1 = 2 * tp / (pred.sum() + truth.sum())
    _log(f"spam: train {len(train)} in {train_s:.1f}s; test {len(test)}: false positives "
         f"{int((pred & ~truth).sum())}, false negatives {int((~pred & truth).sum())}")
    return {"spam_accuracy": round(float((pred == truth).mean()), 4), "spam_f1": round(float(f1), 4),
            "n_spam_test": len(test), "spam_train_s": round(train_s, 1), "spam_predict_ms": round(predict_ms, 2)}


def _read_intent() -> tuple[list[str], np.ndarray]:
    rows = public_examples()
    return [text for text, _ in rows], np.array([label for _, label in rows])


def bench_intent() -> dict:
    texts, y = _read_intent()
    train, test = stratified_split(y)
    seed = seed_examples()
    seed_texts, seed_y = [s for s, _ in seed], np.array([label for _, label in seed])
    t0 = time.perf_counter()
    vectors = default_embedder(texts + seed_texts)  # once for all three uses below; the slow part
    embed_s = time.perf_counter() - t0
    data_v, seed_v = vectors[: len(texts)], vectors[len(texts):]
    test_texts = [texts[i] for i in test]

    def scores(model) -> tuple[float, float]:  # noqa: ANN001
        """Accuracy, and F1 with "asks for something" as the positive class."""
        pred = model.predict_sentences(test_texts, data_v[test]) >= model.threshold
        truth = y[test]
        f1 = 2 * int((pred & truth).sum()) / max(1, int(pred.sum() + truth.sum()))
        return round(float((pred == truth).mean()), 4), round(f1, 4)

    t0 = time.perf_counter()
    seed_only = train_intent(seed_texts, seed_y, vectors=seed_v)
    seed_train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    shipped = train_intent(seed_texts + [texts[i] for i in train], np.concatenate([seed_y, y[train]]),
                           vectors=np.vstack([seed_v, data_v[train]]))
    shipped_train_s = time.perf_counter() - t0
    public_only = train_intent([texts[i] for i in train], y[train], vectors=data_v[train])
    per_sentence_ms = embed_s * 1000 / len(vectors)
    _log(f"intent: embedded {len(vectors)} sentences in {embed_s:.1f}s; trained seed-only in {seed_train_s:.1f}s, "
         f"as shipped ({len(seed) + len(train)}) in {shipped_train_s:.1f}s")
    headline, seed_score, public_score = scores(shipped), scores(seed_only), scores(public_only)
    return {"intent_accuracy": headline[0], "intent_f1": headline[1], "n_intent_test": len(test),
            "intent_accuracy_seed_only": seed_score[0], "intent_f1_seed_only": seed_score[1],
            "intent_accuracy_public_only": public_score[0],
            "n_intent_train": len(train), "n_seed": len(seed), "intent_seed_train_s": round(seed_train_s, 1),
            "intent_train_s": round(shipped_train_s, 1), "intent_embed_ms_per_sentence": round(per_sentence_ms, 1)}


def main() -> None:
    t0 = time.perf_counter()
    result = bench_spam()
    result.update(bench_intent())
    if "--no-replay" not in sys.argv[1:]:
        from bench.replay import bench_replay

        result.update(bench_replay())
    result["total_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
