"""Per-code and averaged agreement of two boolean matrices (turns x codes), with ``sklearn.metrics``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

__all__ = ["classification_report", "interval_text", "per_code_rows"]


def classification_report(truth: np.ndarray, pred: np.ndarray, code_ids: Sequence[str]) -> dict[str, Any]:
    """Per-code precision, recall, F1, support and kappa; micro and macro averages (``sklearn.metrics``).

    Macro averages run over codes with support or predictions (a code absent from both is left out: it
    says nothing about the model, and scikit-learn would count it as F1 0 with a warning). The kappa of a
    code whose two vectors are both constant and equal is 1.0 (scikit-learn returns NaN there).
    """
    truth = np.asarray(truth, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    n_codes = len(code_ids)
    if truth.shape != pred.shape or truth.ndim != 2 or truth.shape[1] != n_codes:
        raise ValueError(f"truth and pred must both be turns x {n_codes} codes, got {truth.shape} and {pred.shape}")
    precision, recall, f1, support = precision_recall_fscore_support(truth, pred, average=None, zero_division=0)
    per_code: dict[str, dict[str, float]] = {}
    for j, code in enumerate(code_ids):
        per_code[code] = {
            "precision": round(float(precision[j]), 4),
            "recall": round(float(recall[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
            "predicted": int(pred[:, j].sum()),
            "kappa": round(_kappa(truth[:, j], pred[:, j]), 4),
        }
    micro = precision_recall_fscore_support(truth, pred, average="micro", zero_division=0)
    used = np.where(truth.any(axis=0) | pred.any(axis=0))[0]
    macro = (
        precision_recall_fscore_support(truth[:, used], pred[:, used], average="macro", zero_division=0)
        if len(used) and len(truth)
        else (0.0, 0.0, 0.0, None)
    )
    return {
        "n_segments": int(truth.shape[0]),
        "micro_precision": round(float(micro[0]), 4),
        "micro_recall": round(float(micro[1]), 4),
        "micro_f1": round(float(micro[2]), 4),
        "macro_precision": round(float(macro[0]), 4),
        "macro_recall": round(float(macro[1]), 4),
        "macro_f1": round(float(macro[2]), 4),
        "per_code": per_code,
    }


def per_code_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per code of an ``evaluate`` report, weakest first.

    What a reviewer reads to know which codes' suggestions to check closely: a low F1, or a wide interval (too
    few coded turns to tell).
    """
    rows = []
    for code, m in report["per_code"].items():
        rows.append(
            {
                "code": code,
                "F1": round(m["f1"], 2),
                "F1 interval": interval_text(m.get("f1_interval")),
                "precision": round(m["precision"], 2),
                "recall": round(m["recall"], 2),
                "coded turns": m["support"],
                "suggested": m["predicted"],
            }
        )
    return sorted(rows, key=lambda row: (row["F1"], row["code"]))


def interval_text(bounds: Sequence[float] | None) -> str:
    """An F1 interval as people read it ("0.81-0.87"); "n/a" where no resample defined it."""
    return "n/a" if bounds is None else f"{bounds[0]:.2f}-{bounds[1]:.2f}"


def _kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    """``cohen_kappa_score``, but 1.0 for two identical constant vectors (perfect agreement, not undefined)."""
    if not len(truth):
        return float("nan")
    if np.array_equal(truth, pred) and len(np.unique(truth)) == 1:
        return 1.0
    return float(cohen_kappa_score(truth, pred))
