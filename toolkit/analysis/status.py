"""Read-only views of a store: the project summary and one document's segments."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from toolkit.corpus.identifiers import audit_raw_access, views
from toolkit.errors import NotFoundError
from toolkit.store.engine import Store
from toolkit.store.models import Code, Codebook, Coder, Coding, Document, Project, Segment, Suggestion

__all__ = ["document_segments", "format_status", "project_status"]


def project_status(store: Store) -> dict[str, Any]:
    """Counts a researcher checks after every step: documents, segments, codes, codings per code and coder."""
    with store.read() as session:
        project = session.scalar(select(Project).order_by(Project.id))
        roles = Counter(dict(session.execute(select(Segment.role, func.count()).group_by(Segment.role)).all()))
        per_code: dict[str, dict[str, int]] = {}
        rows = session.execute(
            select(Coding.code_id, Coder.name, func.count())
            .join(Coder, Coding.coder_id == Coder.id)
            .group_by(Coding.code_id, Coder.name)
        )
        for code_id, coder, count in rows:
            per_code.setdefault(code_id, {})[coder] = count
        codes = list(session.scalars(select(Code.id).order_by(Code.id)))
        return {
            "project": project.name if project else None,
            "store": store.url,
            "documents": session.scalar(select(func.count()).select_from(Document)) or 0,
            "documents_with_attributes": sum(1 for attrs in session.scalars(select(Document.attributes)) if attrs),
            "segments": sum(roles.values()),
            "segments_by_role": dict(sorted(roles.items())),
            "codebooks": [
                {"id": b.id, "name": b.name, "version": b.version}
                for b in session.scalars(select(Codebook).order_by(Codebook.id))
            ],
            "codes": len(codes),
            "coders": list(session.scalars(select(Coder.name).order_by(Coder.name))),
            "codings": session.scalar(select(func.count()).select_from(Coding)) or 0,
            "suggestions": dict(
                session.execute(select(Suggestion.status, func.count()).group_by(Suggestion.status)).all()
            ),
            "codings_per_code": {code: per_code.get(code, {}) for code in codes},
            "deidentification": {
                "not_scanned": session.scalar(
                    select(func.count()).select_from(Document).where(Document.deid_scanned_at.is_(None))
                )
                or 0,
                "not_reviewed": session.scalar(
                    select(func.count()).select_from(Document).where(Document.deid_reviewed.is_(False))
                )
                or 0,
            },
        }


def document_segments(store: Store, name: str, *, raw: bool = False, actor: str = "system") -> list[dict[str, Any]]:
    """A document's segments as dicts (position, role, speaker label, timestamp, offsets, text).

    Text and speaker labels are de-identified (:mod:`toolkit.corpus.identifiers`); ``raw=True`` gives the
    original text and records that read in the audit trail. Offsets point into the original text.
    """
    with store.read() as session:
        document = session.scalar(select(Document).where(Document.name == name))
        if document is None:
            known = ", ".join(session.scalars(select(Document.name).order_by(Document.name).limit(10)))
            raise NotFoundError(f"no document {name!r} (documents: {known or 'none yet'})")
        view = views(session, [document.id], raw=raw)[document.id]
        rows = [
            {
                "position": s.position,
                "role": s.role,
                "speaker_label": view.speaker(s.speaker_label),
                "timestamp": s.timestamp,
                "start": s.start,
                "end": s.end,
                "sentences": len(s.sentences),
                "text": view.slice(s.start, s.end),
            }
            for s in document.segments
        ]
    if raw:
        audit_raw_access(store, [name], actor, "document segments")
    return rows


def format_status(info: dict[str, Any]) -> str:
    """The human-readable status table."""
    lines = [
        f"store      {info['store']}",
        f"documents  {info['documents']} ({info['documents_with_attributes']} with attributes)",
        f"segments   {info['segments']} " + " ".join(f"{k}={v}" for k, v in info["segments_by_role"].items()),
        f"codes      {info['codes']} in " + ", ".join(f"{b['id']} v{b['version']}" for b in info["codebooks"]),
        f"coders     {', '.join(info['coders']) or '-'}",
        f"codings    {info['codings']}",
        "suggestions " + (", ".join(f"{k} {v}" for k, v in sorted(info.get("suggestions", {}).items())) or "none"),
    ]
    deid = info.get("deidentification", {})
    if deid:
        lines.append(
            f"de-identification: {deid['not_scanned']} document(s) not scanned (shown as imported: run "
            f"`qda deid apply`), {deid['not_reviewed']} not reviewed (`qda deid list`, `qda deid reviewed DOC`)"
        )
    for code, per_coder in info["codings_per_code"].items():
        counts = ", ".join(f"{coder} {n}" for coder, n in per_coder.items()) or "0"
        lines.append(f"  {code:32} {counts}")
    return "\n".join(lines)
