"""How many interviews must a person code before the suggestions pay off? A learning curve.

For each number n of coded interviews (0, 1, 2, 4, 8, 13, 25 by default, capped at all but one) and several
random orders, the model learns from the first n interviews of the order and is scored on all the others.
Besides F1, precision and recall, it reports the share of the remaining human decisions the suggestions
would have made correctly: a decision is one turn's set of codes (possibly none), right when the
suggested set is exactly the coder's. n = 0 is the codebook alone, the baseline every later point must beat:
on a corpus of short interviews nobody tuned on, two coded interviews made suggestions worse than the
codebook alone (``bench/README.md``), so :func:`read_curve` says where that happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.base import clone

from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SegmentBatch
from toolkit.suggest.report import classification_report

__all__ = ["DEFAULT_SIZES", "METRICS", "learning_curve", "read_curve", "reading_sentence"]

DEFAULT_SIZES = (0, 1, 2, 4, 8, 13, 25)
METRICS = ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "decisions_right")


def _score(report: dict[str, Any], truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    scores = {m: float(report[m]) for m in METRICS if m in report}  # decisions_right is not in the report
    scores["decisions_right"] = float((truth == pred).all(axis=1).mean()) if len(truth) else 0.0
    return scores


def learning_curve(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    groups: Sequence[str],
    sizes: Sequence[int] = DEFAULT_SIZES,
    orders: int = 5,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Scores on the uncoded interviews after n coded ones, over ``orders`` random orders: mean, min, max.

    n = 0 is the codebook alone (zero-shot). ``on_progress(done, total)`` at the start and after each (n, order).
    ``labels`` is the reference coder's matrix over every row of ``batch``; rows of interviews outside the
    first n of an order are hidden from the model (it still sees their text, as it would in a project).
    """
    labels = np.asarray(labels)
    groups_arr = np.asarray(groups)
    documents = sorted(set(groups_arr[(labels != UNLABELLED).any(axis=1)]))
    usable = sorted({min(int(n), len(documents) - 1) for n in sizes if n >= 0 and len(documents) > 1})
    rng = np.random.default_rng(seed)
    permutations = [list(rng.permutation(documents)) for _ in range(orders)]
    code_ids = model.prototypes.code_ids if model.prototypes is not None else []
    # the codebook alone, scored on the same uncoded turns as each few-shot run (a fair per-code comparison)
    zero_pred = clone(model).fit(batch, np.full(labels.shape, UNLABELLED, dtype=labels.dtype)).predict(batch)
    points = []
    done, total = 0, len(usable) * len(permutations)
    report_progress = on_progress or (lambda done, total: None)
    report_progress(done, total)
    for n in usable:
        runs, per_code, per_code_zero, codebook_micro = [], [], [], []
        for order in permutations:
            train_docs = set(order[:n])
            train = np.isin(groups_arr, list(train_docs))
            test = ~train & (labels != UNLABELLED).any(axis=1)
            zero_report = classification_report(labels[test] == 1, zero_pred[test], code_ids)
            if n == 0:  # nothing coded: the model is the codebook alone, already fitted and scored above
                pred, report = zero_pred[test], zero_report
            else:
                fold_labels = labels.copy()
                fold_labels[~train] = UNLABELLED
                pred = clone(model).fit(batch, fold_labels, groups_arr).predict(batch)[test]
                report = classification_report(labels[test] == 1, pred, code_ids)
            runs.append(_score(report, labels[test] == 1, pred))
            per_code.append(report["per_code"])
            per_code_zero.append(zero_report["per_code"])
            codebook_micro.append(float(zero_report["micro_f1"]))
            done += 1
            report_progress(done, total)
        point: dict[str, Any] = {"coded_interviews": n, "orders": len(runs)}
        # the codebook alone on the same uncoded turns: the baseline this point must beat
        point["codebook_micro_f1"] = round(float(np.mean(codebook_micro)), 4)
        for metric in METRICS:
            values = np.array([r[metric] for r in runs])
            point[metric] = {
                "mean": round(float(values.mean()), 4),
                "min": round(float(values.min()), 4),
                "max": round(float(values.max()), 4),
            }
        # mean over the orders whose uncoded interviews hold the code (None if none do); the codebook alone on
        # the same turns and orders beside it
        point["per_code_f1"], point["per_code_zero_shot_f1"] = {}, {}
        # and in how many of those orders the code did worse than the codebook alone: one order of five is
        # noise of which interviews came first, five of five is not
        point["per_code_orders_below"], point["per_code_orders_held"] = {}, {}
        for code in code_ids:
            held = [i for i, r in enumerate(per_code) if r[code]["support"]]
            for key, reports in (("per_code_f1", per_code), ("per_code_zero_shot_f1", per_code_zero)):
                scores = [reports[i][code]["f1"] for i in held]
                point[key][code] = round(float(np.mean(scores)), 4) if scores else None
            point["per_code_orders_below"][code] = sum(
                per_code[i][code]["f1"] < per_code_zero[i][code]["f1"] for i in held
            )
            point["per_code_orders_held"][code] = len(held)
        points.append(point)
    return {"documents": len(documents), "orders": orders, "seed": seed, "points": points}


def read_curve(curve: dict[str, Any]) -> dict[str, Any]:
    """What the curve says against the codebook alone: a pure reading of ``learning_curve``.

    ``codebook_alone``: the n = 0 micro-F1 (None without that point). Each later point is compared with the
    codebook alone on the same uncoded turns (``codebook_micro_f1``; the n = 0 figure for curves without it):
    ``below_codebook``: the numbers of coded interviews whose mean micro-F1 is below it; ``beats_codebook_from``:
    the smallest n from which every later point is above it (None if the last one is not);
    ``codes_below_codebook``: per n, the codes whose F1 is below the codebook's on the same turns. Small
    differences are noise: see each point's range, and ``codes_below_in_most_orders``: per n, those of them
    below the codebook in more than half of the orders that hold the code.
    """
    points = sorted(curve.get("points", []), key=lambda p: p["coded_interviews"])
    base = next((p for p in points if p["coded_interviews"] == 0), None)
    learnt = [p for p in points if p["coded_interviews"] > 0]
    reading: dict[str, Any] = {
        "codebook_alone": None if base is None else base["micro_f1"]["mean"],
        "below_codebook": [],
        "beats_codebook_from": None,
        "codes_below_codebook": {},
        "codes_below_in_most_orders": {},
    }
    if base is None:
        return reading

    def floor(p: dict[str, Any]) -> float:
        return float(p.get("codebook_micro_f1", base["micro_f1"]["mean"]))

    reading["below_codebook"] = [p["coded_interviews"] for p in learnt if p["micro_f1"]["mean"] < floor(p)]
    for p in reversed(learnt):
        if p["micro_f1"]["mean"] <= floor(p):
            break
        reading["beats_codebook_from"] = p["coded_interviews"]
    for p in learnt:
        own, codebook = p.get("per_code_f1", {}), p.get("per_code_zero_shot_f1", {})
        worse = sorted(c for c, f1 in own.items() if f1 is not None and (codebook.get(c) or 0.0) > f1)
        if worse:
            reading["codes_below_codebook"][str(p["coded_interviews"])] = worse
        below, held = p.get("per_code_orders_below", {}), p.get("per_code_orders_held", {})
        mostly = [c for c in worse if below.get(c, 0) * 2 > held.get(c, 0) > 0]
        if mostly:
            reading["codes_below_in_most_orders"][str(p["coded_interviews"])] = mostly
    return reading


def reading_sentence(reading: dict[str, Any]) -> str:
    """One line for people: from how many coded interviews suggestions beat the codebook alone, and where not."""
    if reading["codebook_alone"] is None:
        return "no codebook-alone point (0 coded interviews) to compare with"
    parts = [f"codebook alone: micro-F1 {reading['codebook_alone']:.3f}"]
    if reading["beats_codebook_from"] is not None:
        parts.append(f"suggestions beat it from {reading['beats_codebook_from']} coded interviews on")
    else:
        parts.append("the last point does not beat it")
    if reading["below_codebook"]:
        below = ", ".join(str(n) for n in reading["below_codebook"])
        parts.append(f"below it on the same turns after {below} coded (learnt from too little, suggestions were worse)")
    mostly = reading.get("codes_below_in_most_orders") or {}
    if mostly:
        listed = "; ".join(f"after {n}: {', '.join(codes)}" for n, codes in mostly.items())
        parts.append(f"codes worse than the codebook alone in most orders ({listed})")
    return "; ".join(parts)
