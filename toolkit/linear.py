"""Small linear-model parts for the suggestion engine, in NumPy and SciPy sparse only.

Why not scikit-learn here: importing it takes over 2 s on a 2-core machine (it pulls in pandas and
scipy.stats), which alone would break the target of a cached ``qda suggest`` in under 3 s. These two
pieces compute the same things as ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` and
``LogisticRegression(class_weight="balanced")`` (same objective, same optimum; a test compares them
with scikit-learn), and they fit all codes at once, which is also faster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["BalancedLogisticRegression", "TfidfFeaturizer", "lbfgs"]


class TfidfFeaturizer:
    """Unigrams and bigrams of whitespace tokens, sublinear tf, smoothed idf, L2-normalised rows."""

    def __init__(self, min_df: int = 2, ngram_max: int = 2) -> None:
        self.min_df = min_df
        self.ngram_max = ngram_max

    def _grams(self, text: str) -> list[str]:
        tokens = text.lower().split()
        grams = list(tokens)
        for n in range(2, self.ngram_max + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def fit(self, texts: Sequence[str]) -> TfidfFeaturizer:
        """Learn the vocabulary (terms in at least ``min_df`` texts) and their idf."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(self._grams(text)))
        terms = sorted(t for t, count in df.items() if count >= self.min_df)
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        n = len(texts)
        self.idf_ = np.array([np.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows for ``texts``; unknown terms are ignored."""
        indptr, indices, values = [0], [], []
        for text in texts:
            counts = Counter(g for g in self._grams(text) if g in self.vocabulary_)
            row_idx = [self.vocabulary_[g] for g in counts]
            row_val = np.array([1.0 + np.log(c) for c in counts.values()]) * self.idf_[row_idx] if counts else []
            norm = np.sqrt(np.sum(np.square(row_val))) if counts else 0.0
            indices.extend(row_idx)
            values.extend((np.asarray(row_val) / norm).tolist() if norm else [])
            indptr.append(len(indices))
        shape = (len(texts), len(self.vocabulary_))
        return sp.csr_matrix((np.array(values, dtype=np.float64), indices, indptr), shape=shape)


def lbfgs(fun_grad, x0: np.ndarray, max_iter: int = 500, tol: float = 1e-5, memory: int = 10) -> np.ndarray:
    """Minimise a smooth convex function with L-BFGS and a backtracking (Armijo) line search.

    ``fun_grad(x) -> (value, gradient)``; stops when the largest gradient component is below ``tol``.
    """
    x = x0.astype(np.float64, copy=True)
    value, grad = fun_grad(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for iteration in range(max_iter):
        if np.max(np.abs(grad)) < tol:
            break
        q = grad.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            rho = 1.0 / np.dot(y, s)
            alpha = rho * np.dot(s, q)
            alphas.append((rho, alpha))
            q -= alpha * y
        if s_hist:
            q *= np.dot(s_hist[-1], y_hist[-1]) / np.dot(y_hist[-1], y_hist[-1])
        else:
            q /= max(1.0, np.linalg.norm(grad))
        for (s, y), (rho, alpha) in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            beta = rho * np.dot(y, q)
            q += s * (alpha - beta)
        direction = -q
        slope = np.dot(grad, direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction = -grad / max(1.0, np.linalg.norm(grad))
            slope = np.dot(grad, direction)
        step = 1.0
        while True:
            candidate = x + step * direction
            new_value, new_grad = fun_grad(candidate)
            if new_value <= value + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s_vec, y_vec = candidate - x, new_grad - grad
        if np.dot(s_vec, y_vec) > 1e-10:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        x, value, grad = candidate, new_value, new_grad
        if iteration and abs(value) > 0 and step * abs(slope) < 1e-12 * abs(value):
            break
    return x


class BalancedLogisticRegression:
    """One-vs-rest L2 logistic regression with balanced class weights, one solve per label column.

    Minimises, per label column, ``0.5 * ||w||^2 + C * sum_i s_i * log(1 + exp(-y_i (x_i . w + b)))`` with
    ``s_i = n / (2 * n_class(y_i))`` over the rows where that label is known (mask), as scikit-learn's
    ``LogisticRegression(C=C, class_weight="balanced")`` does for one label.

    With fewer rows than features (the usual case: hundreds of turns, thousands of features) the solution
    lies in the span of the rows, so each label is solved on an n x n basis of that span (from the
    eigenvectors of ``X X^T``): the same optimum at a fraction of the cost, computed once per row set.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 500, tol: float = 1e-4) -> None:
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def fit(
        self, X: sp.spmatrix | np.ndarray, Y: np.ndarray, mask: np.ndarray | None = None
    ) -> BalancedLogisticRegression:
        """``Y`` is rows x labels of 0/1; ``mask`` marks which entries are known (default: all)."""
        Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
        mask = np.ones_like(Y, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).reshape(Y.shape)
        self.coef_ = np.zeros((X.shape[1], Y.shape[1]))
        self.intercept_ = np.zeros(Y.shape[1])
        by_rows: dict[bytes, list[int]] = {}
        for j in range(Y.shape[1]):
            by_rows.setdefault(np.packbits(mask[:, j]).tobytes(), []).append(j)
        for columns in by_rows.values():
            rows = np.where(mask[:, columns[0]])[0]
            if not len(rows):
                continue
            Z, to_weights = _row_space_basis(X[rows])
            for j in columns:
                beta, self.intercept_[j] = self._solve(Z, Y[rows, j])
                self.coef_[:, j] = to_weights(beta)
        return self

    def _solve(self, Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        n, d = Z.shape
        positives = y == 1
        weights = np.where(positives, n / (2.0 * max(1, positives.sum())), n / (2.0 * max(1, (~positives).sum())))
        signs = np.where(positives, 1.0, -1.0)
        C = self.C

        def fun_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = flat[:d], flat[d]
            margins = signs * (np.asarray(Z @ w).ravel() + b)
            value = 0.5 * float(w @ w) + C * float(weights @ np.logaddexp(0.0, -margins))
            coef = -C * weights * signs * _expit(-margins)
            return value, np.concatenate([w + np.asarray(Z.T @ coef).ravel(), [coef.sum()]])

        solution = lbfgs(fun_grad, np.zeros(d + 1), max_iter=self.max_iter, tol=self.tol)
        return solution[:d], float(solution[d])

    def decision_function(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """Rows x labels of ``x . w + b``."""
        return np.asarray(X @ self.coef_) + self.intercept_

    def predict_proba(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """Rows x labels of P(label = 1)."""
        return _expit(self.decision_function(X))


MAX_BASIS_ROWS = 3000
"""Above this many rows the n x n eigendecomposition costs more than it saves: solve on X itself."""

DENSE_LIMIT = 20_000_000
"""Matrices up to this many entries (160 MB as float64) are made dense for the Gram product."""


def _row_space_basis(X: sp.spmatrix | np.ndarray):
    """An n x r matrix Z with Z Z^T = X X^T, and the map from a solution on Z back to weights on X.

    Only done for fewer rows than features and at most :data:`MAX_BASIS_ROWS` rows (otherwise X itself is
    returned); X is made dense only when it has at most :data:`DENSE_LIMIT` entries.
    """
    n, d = X.shape
    if n >= d or n > MAX_BASIS_ROWS:
        return (X.tocsr() if sp.issparse(X) else np.asarray(X, dtype=np.float64)), lambda beta: beta
    if sp.issparse(X) and n * d <= DENSE_LIMIT:  # small enough: dense BLAS is much faster than sparse products
        X = X.toarray()
    gram = X @ X.T
    gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram, dtype=np.float64)
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    keep = eigenvalues > 1e-10 * max(1.0, float(eigenvalues.max()))
    roots = np.sqrt(eigenvalues[keep])
    U = eigenvectors[:, keep]
    Z = U * roots
    return Z, lambda beta: np.asarray(X.T @ (U @ (beta / roots))).ravel()


def _expit(values: np.ndarray) -> np.ndarray:
    """The logistic function, stable for large magnitudes."""
    out = np.empty_like(values, dtype=np.float64)
    positive = values >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-values[positive]))
    exp_v = np.exp(values[~positive])
    out[~positive] = exp_v / (1.0 + exp_v)
    return out
