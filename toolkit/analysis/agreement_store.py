"""Agreement between coders in a store, at the segment level, with the model as one more coder.

A coder applied code X to a segment when any of their spans with X overlaps it. A coder who has coded
nothing in a document is *missing* for its segments (not disagreeing). The model's codes are its stored
suggestions (made at the threshold of the run that stored them; a higher ``threshold`` here keeps only the
surer ones), in the documents it has scored. The statistics come from
:mod:`toolkit.analysis.agreement`; computing them ends blind mode (the moment is recorded in the audit trail).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from toolkit.analysis.agreement import agreement_table, disagreements
from toolkit.coding.blind import record_blind
from toolkit.corpus.identifiers import known_identifiers, redact_known, views
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.io.csv_safe import write_csv
from toolkit.store.engine import Store
from toolkit.store.models import (
    MODEL_CODER,
    ORIGIN_CONSENSUS,
    ROLE_RESPONDENT,
    Code,
    Coder,
    Coding,
    Document,
    Memo,
    Segment,
    Suggestion,
)

__all__ = [
    "UNITS",
    "agreement_frame",
    "compute_agreement",
    "disagreement_rows",
    "disagreements_csv",
    "record_consensus",
]

UNITS = ("respondent", "all")
CONSENSUS_CODER = "consensus"


Spans = dict[str, list[tuple[int, str, int, int]]]


def _spans_by_coder(session: Session, coders: set[str] | None, threshold: float) -> Spans:
    spans: Spans = {}
    rows = session.execute(
        select(Coder.name, Coding.document_id, Coding.code_id, Coding.start, Coding.end).join(
            Coder, Coding.coder_id == Coder.id
        )
    )
    for name, doc_id, code, start, end in rows:
        if name == MODEL_CODER or (coders and name not in coders):
            continue
        spans.setdefault(name, []).append((doc_id, code, start, end))
    if coders is None or MODEL_CODER in coders:
        model_rows = session.execute(
            select(Segment.document_id, Suggestion.code_id, Segment.start, Segment.end)
            .join(Segment, Suggestion.segment_id == Segment.id)
            .where(Suggestion.probability >= threshold)
        )
        model_spans = [(doc_id, code, start, end) for doc_id, code, start, end in model_rows]
        if model_spans:
            spans[MODEL_CODER] = model_spans
    return spans


def agreement_frame(
    store: Store,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    unit: str = "respondent",
    threshold: float = 0.0,
) -> tuple[pd.DataFrame, dict[int, dict[str, Any]]]:
    """The long frame (unit, coder, code, applied) and, per unit, its document, position and text."""
    if unit not in UNITS:
        raise ToolkitError(f"unknown unit {unit!r}; use respondent or all")
    with store.read() as session:
        known_coders = set(session.scalars(select(Coder.name))) | {MODEL_CODER}
        unknown = [c for c in coders or [] if c not in known_coders]
        if unknown:
            raise NotFoundError(f"unknown coder(s): {', '.join(unknown)}")
        all_codes = list(session.scalars(select(Code.id).order_by(Code.id)))
        unknown_codes = [c for c in codes or [] if c not in all_codes]
        if unknown_codes:
            raise NotFoundError(f"unknown code(s): {', '.join(unknown_codes)}")
        wanted_codes = list(codes) if codes else all_codes
        spans = _spans_by_coder(session, set(coders) if coders else None, threshold)
        query = select(Segment, Document.name).join(Document, Segment.document_id == Document.id)
        if unit == "respondent":
            query = query.where(Segment.role == ROLE_RESPONDENT)
        segments = list(session.execute(query.order_by(Document.name, Segment.position)))
        shown = views(session, {seg.document_id for seg, _ in segments})
    units = {
        seg.id: {
            "document": name,
            "position": seg.position,
            "text": shown[seg.document_id].slice(seg.start, seg.end),
            "document_id": seg.document_id,
        }
        for seg, name in segments
    }
    records: list[dict[str, object]] = []
    for coder, coder_spans in sorted(spans.items()):
        covered = {doc_id for doc_id, _, _, _ in coder_spans}
        by_doc: dict[int, list[tuple[str, int, int]]] = {}
        for doc_id, code, start, end in coder_spans:
            by_doc.setdefault(doc_id, []).append((code, start, end))
        for seg, _name in segments:
            if seg.document_id not in covered:
                continue
            applied = {
                code for code, start, end in by_doc.get(seg.document_id, []) if start < seg.end and end > seg.start
            }
            records.extend(
                {"unit": seg.id, "coder": coder, "code": code, "applied": code in applied} for code in wanted_codes
            )
    frame = pd.DataFrame.from_records(records, columns=["unit", "coder", "code", "applied"])
    return frame, units


def compute_agreement(
    store: Store,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    unit: str = "respondent",
    threshold: float = 0.0,
    actor: str = "system",
) -> dict[str, Any]:
    """Percent agreement, Cohen's kappa (two coders), Krippendorff's alpha and prevalence, per code and overall."""
    frame, _ = agreement_frame(store, coders, codes, unit, threshold)
    if frame.empty or frame["coder"].nunique() < 2:
        raise ToolkitError("agreement needs at least two coders with codings in the same documents")
    table = agreement_table(frame)
    table["unit"] = f"{unit} segments" if unit == "respondent" else "all segments"
    table["model_threshold"] = threshold
    with store.transaction(actor=actor) as tx:
        tx.audit(
            "agreement.compute",
            "project",
            "",
            after={"coders": table["coders"], "unit": table["unit"], "overall": table["overall"]},
        )
        if tx.project().blind:
            record_blind(tx, False, reason="agreement computed: coders may now compare")
    return table


def disagreement_rows(
    store: Store,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    unit: str = "respondent",
    threshold: float = 0.0,
) -> list[dict[str, Any]]:
    """One row per disagreeing segment: document, position, text, each coder's codes, memos; for a consensus meeting."""
    frame, units = agreement_frame(store, coders, codes, unit, threshold)
    if frame.empty:
        return []
    found = disagreements(frame)
    if found.empty:
        return []
    applied = frame[frame["applied"]].groupby(["unit", "coder"])["code"].apply(sorted).to_dict()
    covering = frame.groupby("unit")["coder"].unique().to_dict()
    with store.read() as session:
        memos = session.execute(select(Memo.target_type, Memo.target_id, Memo.text)).all()
        known = known_identifiers(session)
    doc_memos: dict[str, list[str]] = {}
    for target_type, target_id, text in memos:
        if target_type == "document":  # a memo may name a participant: its known identifiers are replaced
            doc_memos.setdefault(target_id, []).append(redact_known(text, known))
    rows = []
    for unit_id in dict.fromkeys(found["unit"]):
        info = units[unit_id]
        row = {
            "document": info["document"],
            "position": info["position"],
            "text": info["text"],
            "disputed_codes": ";".join(sorted(set(found.loc[found["unit"] == unit_id, "code"]))),
        }
        for coder in sorted(covering[unit_id]):
            row[f"codes_{coder}"] = ";".join(applied.get((unit_id, coder), []))
        row["memo"] = " | ".join(doc_memos.get(info["document"], []))
        row["consensus"] = ""
        rows.append(row)
    return rows


def disagreements_csv(rows: list[dict[str, Any]]) -> str:
    """The disagreement list as CSV, with an empty ``consensus`` column for the meeting to fill in."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    return write_csv(rows, columns or ["document", "position", "text", "consensus"])


def _consensus_coding(segment: Segment, code: str, coder_id: int) -> Coding:
    """The consensus coder's coding of a whole segment."""
    return Coding(
        document_id=segment.document_id,
        segment_id=segment.id,
        code_id=code,
        coder_id=coder_id,
        start=segment.start,
        end=segment.end,
        origin=ORIGIN_CONSENSUS,
    )


def record_consensus(
    store: Store,
    rows: list[dict[str, str]],
    source: str = "<rows>",
    agreed_from: Sequence[str] | None = None,
    actor: str = "system",
) -> int:
    """Record the agreed codes of a consensus meeting as coder ``consensus``; returns codings added.

    Each row names a document, a segment position and ``consensus`` codes (';'-separated, may be empty).
    With ``agreed_from`` (the coders compared), every other segment those coders all covered gets the codes
    they all applied, so that ``consensus`` is a complete coder to analyse.
    """
    agreed: list[tuple[int, str]] = []
    if agreed_from:
        frame, _ = agreement_frame(store, agreed_from, None, "all")
        if frame.empty:
            raise ToolkitError(f"coders {', '.join(agreed_from)} have no codings to agree on")
        covered = frame.groupby("unit")["coder"].nunique()
        full = set(covered[covered == len(set(agreed_from))].index)
        applied = frame[frame["applied"] & frame["unit"].isin(full)].groupby(["unit", "code"])["coder"].nunique()
        agreed = [(int(unit), str(code)) for unit, code in applied[applied == len(set(agreed_from))].index.tolist()]
    added = 0
    with store.transaction(actor=actor) as tx:
        listed: set[int] = set()
        consensus = tx.coder(CONSENSUS_CODER)
        codes = set(tx.session.scalars(select(Code.id)))
        for line, row in enumerate(rows, start=2):
            doc = tx.session.scalar(select(Document).where(Document.name == row.get("document", "")))
            if doc is None:
                raise NotFoundError(f"unknown document {row.get('document')!r}", file=source, line=line)
            try:
                segment = next(s for s in doc.segments if s.position == int(row["position"]))
            except (KeyError, ValueError, StopIteration):
                raise ToolkitError(
                    f"no segment {row.get('position')!r} in {doc.name}", file=source, line=line
                ) from None
            listed.add(segment.id)
            decided = [c.strip() for c in (row.get("consensus") or "").split(";") if c.strip()]
            bad = [c for c in decided if c not in codes]
            if bad:
                raise NotFoundError(f"unknown code {bad[0]!r}", file=source, line=line)
            for code in decided:
                tx.session.add(_consensus_coding(segment, code, consensus.id))
                added += 1
        for segment_id, code in agreed:
            if segment_id not in listed:
                tx.session.add(_consensus_coding(tx.session.get_one(Segment, segment_id), code, consensus.id))
                added += 1
        tx.audit("consensus.record", "coder", CONSENSUS_CODER, after={"source": source, "codings": added})
    return added
