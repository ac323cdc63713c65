"""What secondary suppression costs and what it stops, on the synthetic sample (26 interviews, gold codings).

Run: ``python bench/bench_disclosure.py [--min-cell 3]``. For each attribute it prints the cells of the
code x attribute breakdown, how many primary suppression alone hides (cells of 1..min_cell-1 people and
groups under min_cell, after merging), how many the protected frame hides, and how many numbers of
1..min_cell-1 people a reader recovers by subtraction from what is shown: a code's only hidden cell from
its total (shown as the code's prevalence), the only hidden group size from the number of interviews,
and "n - count" where both are shown. Nothing here is tuned: the rule is fixed, this only counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.analysis.disclosure import merge_small_groups, protected_code_by_attribute  # noqa: E402
from toolkit.analysis.findings import code_by_attribute, code_prevalence  # noqa: E402


def recovered(frame: pd.DataFrame, totals: dict[str, int], n_total: int, min_cell: int) -> dict[str, int]:
    """Numbers of 1..min_cell-1 people worked out by one subtraction, by kind."""
    found = {"cell": 0, "complement": 0, "size": 0}
    for code, line in frame.groupby("code"):
        hidden = line["interviews"].isna()
        if hidden.sum() == 1 and 0 < totals[str(code)] - line["interviews"].dropna().sum() < min_cell:
            found["cell"] += 1
        both = line.dropna(subset=["interviews", "n"])
        found["complement"] += int(((both["n"] - both["interviews"]).between(1, min_cell - 1)).sum())
    sizes = frame.drop_duplicates("value")["n"]
    if sizes.isna().sum() == 1 and 0 < n_total - sizes.dropna().sum() < min_cell:
        found["size"] += 1
    return found


def primary_only(codings: pd.DataFrame, cases: pd.DataFrame, attribute: str, min_cell: int) -> pd.DataFrame:
    """The breakdown as protected before secondary suppression: merged groups, small cells and groups hidden."""
    merged, _ = merge_small_groups(cases, attribute, min_cell)
    frame = code_by_attribute(codings, merged, attribute).astype(object)
    small_group = frame["n"].between(1, min_cell - 1)
    frame.loc[frame["interviews"].between(1, min_cell - 1) | small_group, "interviews"] = None
    frame.loc[small_group, "n"] = None
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-cell", type=int, default=3)
    args = parser.parse_args()
    cases = pd.read_csv(ROOT / "sample_data" / "cases.csv", dtype=str)
    with open(ROOT / "sample_data" / "gold_codings.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    pairs = {(r["document"], code) for r in rows for code in r["codes"]}
    codings = pd.DataFrame(sorted(pairs), columns=["document", "code"])
    prevalence = code_prevalence(codings, cases)
    totals = dict(zip(prevalence["code"].astype(str), prevalence["interviews"].astype(int), strict=True))
    print(f"{len(cases)} interviews, {codings['code'].nunique()} codes, min_cell {args.min_cell}")
    print(f"{'attribute':<18} {'cells':>5} {'hidden before':>13} {'after':>5}   recoverable before -> after")
    for attribute in [c for c in cases.columns if c != "document" and 2 <= cases[c].nunique() <= 12]:
        before = primary_only(codings, cases, attribute, args.min_cell)
        after = protected_code_by_attribute(codings, cases, attribute, min_cell=args.min_cell)
        leaks_before = recovered(before, totals, len(cases), args.min_cell)
        leaks_after = recovered(after, totals, len(cases), args.min_cell)
        print(
            f"{attribute:<18} {len(after):>5} {int(before['interviews'].isna().sum()):>13} "
            f"{int(after['suppressed'].sum()):>5}   {sum(leaks_before.values())} {leaks_before} -> "
            f"{sum(leaks_after.values())}"
        )


if __name__ == "__main__":
    main()
