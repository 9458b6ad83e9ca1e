"""Hashed sparse features and a small logistic regression in numpy, shared by the classifiers.

scikit-learn would do this too, but it brings scipy (~100 MB) for one estimator; a full-batch
logistic regression over a CSR-like layout is a few dozen lines and trains the spam corpus in
seconds. Feature names are hashed (CRC-32, stable across processes, unlike `hash()`), so a
saved model is only a weight vector: no vocabulary to ship or keep in step.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


def hash_index(name: str, dim: int) -> int:
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % dim


@dataclass(slots=True)
class Sparse:
    """Rows of (hashed index, value) pairs: row r owns indices[indptr[r]:indptr[r+1]]."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    dim: int

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(self.rows), np.diff(self.indptr))

    def take(self, rows: np.ndarray) -> Sparse:
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        pick = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if len(rows) else np.zeros(0, int)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        return Sparse(indptr, self.indices[pick], self.data[pick], self.dim)

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.row_ids(), weights=self.data * w[self.indices], minlength=self.rows)


def sparse_rows(bags: list[dict[str, float]], dim: int) -> Sparse:
    """Feature-name -> value dicts to L2-normalised hashed rows (collisions simply add up)."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for bag in bags:
        merged: dict[int, float] = {}
        for name, value in bag.items():
            i = hash_index(name, dim)
            merged[i] = merged.get(i, 0.0) + value
        norm = sum(v * v for v in merged.values()) ** 0.5 or 1.0
        indices.extend(merged)
        data.extend(v / norm for v in merged.values())
        indptr.append(len(indices))
    return Sparse(np.asarray(indptr, np.int64), np.asarray(indices, np.int64), np.asarray(data, np.float64), dim)


@dataclass(slots=True)
class Linear:
    """A logistic regression over an optional dense block followed by an optional sparse block."""

    dense_w: np.ndarray
    sparse_w: np.ndarray
    bias: float

    def scores(self, dense: np.ndarray | None, sparse: Sparse | None) -> np.ndarray:
        n = len(dense) if dense is not None else sparse.rows  # type: ignore[union-attr]
        s = np.full(n, self.bias, dtype=np.float64)
        if dense is not None and len(self.dense_w):
            s += np.asarray(dense, np.float64) @ self.dense_w
        if sparse is not None and len(self.sparse_w):
            s += sparse.dot(self.sparse_w)
        return s

    def proba(self, dense: np.ndarray | None, sparse: Sparse | None) -> np.ndarray:
        return sigmoid(self.scores(dense, sparse))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


def fit_logistic(dense: np.ndarray | None, sparse: Sparse | None, y: np.ndarray, *,
                 weights: np.ndarray | None = None, l2: float = 1e-4, epochs: int = 300,
                 lr: float = 0.05) -> Linear:
    """Full-batch Adam on the weighted, L2-regularised log loss; deterministic (zero start).

    Full batch rather than SGD because the data sets are small (thousands of rows) and the
    result must not depend on a shuffling seed: the same data gives the same saved model.
    """
    y = np.asarray(y, np.float64)
    n = len(y)
    sw = np.ones(n) if weights is None else np.asarray(weights, np.float64)
    sw = sw / sw.sum()
    dd = 0 if dense is None else dense.shape[1]
    ds = 0 if sparse is None else sparse.dim
    X = None if dense is None else np.asarray(dense, np.float64)
    rows = None if sparse is None else sparse.row_ids()
    theta = np.zeros(dd + ds + 1)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, epochs + 1):
        model = Linear(theta[:dd], theta[dd:dd + ds], theta[-1])
        err = (model.proba(X, sparse) - y) * sw
        grad = np.empty_like(theta)
        if dd:
            assert X is not None
            grad[:dd] = X.T @ err
        if ds:
            assert sparse is not None and rows is not None
            grad[dd:dd + ds] = np.bincount(sparse.indices, weights=sparse.data * err[rows], minlength=ds)
        grad[-1] = err.sum()
        grad[:-1] += l2 * theta[:-1]
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        theta -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return Linear(theta[:dd].copy(), theta[dd:dd + ds].copy(), float(theta[-1]))
