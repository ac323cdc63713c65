"""REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA and QualCoder: a store to and from ``.qdpx`` / ``.qdc``.

Export (:func:`export_qdpx`): coders are users, codes keep their tree, colours and definition (as the
``Description``), documents travel with their text, each coding is a ``PlainTextSelection`` with its
positions, memos are notes, case attributes are variables of one case per document. The model's
suggestions are codings of a separate pseudo-user (:data:`SUGGESTION_USER`) so another tool can set them
beside the humans'. What REFI cannot hold goes into a sidecar JSON inside the archive (definitions beyond
``Description``, speaker turns and roles, coding origins, suggestion probabilities); this toolkit restores
it on import, other tools ignore it: :attr:`ExchangeReport.not_seen` tells the user what they will miss.

The archive is de-identified by default: each source is the document's de-identified text (identifiers
replaced by their pseudonyms, :mod:`toolkit.corpus.identifiers`), and every offset (codings, speaker turns,
sentences) is mapped onto that text with :class:`toolkit.corpus.redaction.RedactedText`, so a re-imported
archive codes the same words. Memos and suggestion explanations get the project's known identifiers replaced
too. ``raw=True`` writes the original text and records that in the audit trail.

Import is :mod:`toolkit.analysis.exchange_import`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from toolkit.coding.blind import allowed_coders
from toolkit.corpus.identifiers import audit_raw_access, known_identifiers, redact_known, redact_known_in, views
from toolkit.corpus.redaction import RedactedText
from toolkit.errors import InputFileError
from toolkit.io.private import write_private_bytes
from toolkit.io.refi_qda import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
    write_qdc,
    write_qdpx,
)
from toolkit.store.engine import Store
from toolkit.store.models import (
    ORIGIN_IMPORTED,
    Code,
    Codebook,
    Coder,
    Coding,
    Document,
    Memo,
    Project,
    Segment,
    Suggestion,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "SUGGESTION_USER",
    "ExchangeReport",
    "build_refi_project",
    "export_qdc",
    "export_qdpx",
    "guid_for",
]

SUGGESTION_USER = "survivor-qda suggestions (model)"
"""The pseudo-user whose codings are the model's suggestions, as ATLAS.ti and NVivo do for auto-coding."""
SIDECAR_FORMAT = "survivor-qda-sidecar"


@dataclass
class ExchangeReport:
    """What an export or import did: counts, what was left out, and what other tools will not see."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_seen: list[str] = field(default_factory=list)


def guid_for(kind: str, key: str) -> str:
    """A GUID fixed by what it names, so exporting the same store twice gives the same GUIDs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"survivor-qda:{kind}:{key}")).upper()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------- export


def _code_list(codes: list[Code], notes: dict[str, list[str]]) -> tuple[list[RefiCode], list[str]]:
    """Codes as a REFI tree; a group without a code of its own becomes a non-codable folder."""
    ids = {c.id for c in codes}
    folders: dict[str, RefiCode] = {}
    out: list[RefiCode] = []
    for code in codes:
        parent = code.parent_id
        if parent is None and code.group and code.group != code.id and code.group not in ids:
            if code.group not in folders:
                folders[code.group] = RefiCode(guid_for("group", code.group), code.group, codable=False)
            parent_guid: str | None = folders[code.group].guid
        else:
            parent_guid = guid_for("code", parent) if parent else None
        out.append(
            RefiCode(
                guid=guid_for("code", code.id),
                name=code.name or code.id,
                codable=True,
                color=code.colour if re.fullmatch(r"#[0-9a-fA-F]{6}", code.colour or "") else None,
                description=code.definition or "",
                parent=parent_guid,
                notes=notes.get(code.id, []),
            )
        )
    return [*folders.values(), *out], [f.guid for f in folders.values()]


@dataclass
class _Rows:
    """What an export reads from the store, already limited to the coders a request may see."""

    project: Project | None
    documents: list[Document]
    codes: list[Code]
    books: list[Codebook]
    coders: list[Coder]
    codings: list[Any]  # (Coding, coder name, document name)
    suggestions: list[Any]  # (Suggestion, Segment, document name)
    memos: list[Any]  # (Memo, coder name)
    segments: dict[int, list[tuple[Segment, list[tuple[int, int]]]]]


def _load_rows(store: Store, wanted: set[str] | None) -> _Rows:
    with store.read() as session:
        documents = list(session.scalars(select(Document).order_by(Document.name)))
        rows = _Rows(
            project=session.scalar(select(Project).order_by(Project.id)),
            documents=documents,
            codes=list(session.scalars(select(Code).order_by(Code.id))),
            books=list(session.scalars(select(Codebook).order_by(Codebook.id))),
            coders=list(session.scalars(select(Coder).order_by(Coder.name))),
            codings=list(
                session.execute(
                    select(Coding, Coder.name, Document.name)
                    .join(Coder, Coding.coder_id == Coder.id)
                    .join(Document, Coding.document_id == Document.id)
                    .order_by(Document.name, Coding.start, Coding.end, Coding.code_id, Coder.name, Coding.id)
                )
            ),
            suggestions=list(
                session.execute(
                    select(Suggestion, Segment, Document.name)
                    .join(Segment, Suggestion.segment_id == Segment.id)
                    .join(Document, Segment.document_id == Document.id)
                    .order_by(Document.name, Segment.position, Suggestion.code_id, Suggestion.id)
                )
            ),
            memos=list(
                session.execute(select(Memo, Coder.name).join(Coder, Memo.coder_id == Coder.id).order_by(Memo.id))
            ),
            segments={
                doc.id: [(s, [(t.start, t.end) for t in s.sentences]) for s in doc.segments] for doc in documents
            },
        )
    if wanted is not None:  # blind mode: one coder's work, and no suggestions (they pool everyone's)
        rows.coders = [c for c in rows.coders if c.name in wanted]
        rows.codings = [row for row in rows.codings if row[1] in wanted]
        rows.memos = [row for row in rows.memos if row[1] in wanted]
        rows.suggestions = []
    return rows


class _Selections:
    """One selection per (document, span), holding every coder's codings of it and the model's suggestions."""

    def __init__(self, shown: dict[str, RedactedText], known: dict[str, str] | None = None) -> None:
        self.shown = shown
        self.known = known
        self.by_span: dict[tuple[str, int, int], RefiSelection] = {}
        self.coding_guid_by_id: dict[int, str] = {}
        self.sidecar_codings: dict[str, dict[str, Any]] = {}
        self.sidecar_suggestions: dict[str, dict[str, Any]] = {}

    def at(self, doc_name: str, start: int, end: int) -> RefiSelection:
        key = (doc_name, start, end)
        if key not in self.by_span:
            shown = self.shown[doc_name]
            view_start, view_end = shown.span(start, end)
            quote = " ".join(shown.text[view_start:view_end].split())
            self.by_span[key] = RefiSelection(
                guid=guid_for("selection", f"{doc_name}:{start}:{end}"),
                start=view_start,
                end=view_end,
                name=quote[:60] + ("…" if len(quote) > 60 else ""),  # the quoted text, as ATLAS.ti writes it
            )
        return self.by_span[key]

    def add_codings(self, codings: list[Any], user_guid: dict[str, str]) -> None:
        seen: dict[str, int] = defaultdict(int)
        for coding, coder_name, doc_name in codings:
            key = f"{doc_name}:{coding.start}:{coding.end}:{coding.code_id}:{coder_name}"
            seen[key] += 1
            guid = guid_for("coding", f"{key}:{seen[key]}")
            self.coding_guid_by_id[coding.id] = guid
            self.at(doc_name, coding.start, coding.end).codings.append(
                RefiCoding(guid, guid_for("code", coding.code_id), user_guid.get(coder_name), _stamp(coding.created_at))
            )
            self.sidecar_codings[guid] = {
                "origin": coding.origin,
                "model_name": coding.model_name,
                "model_version": coding.model_version,
                "codebook_version": coding.codebook_version,
            }

    def add_suggestions(self, suggestions: list[Any], user: str) -> None:
        for suggestion, segment, doc_name in suggestions:
            guid = guid_for("suggestion", f"{doc_name}:{segment.position}:{suggestion.code_id}:{suggestion.id}")
            self.at(doc_name, segment.start, segment.end).codings.append(
                RefiCoding(guid, guid_for("code", suggestion.code_id), user, _stamp(suggestion.created_at))
            )
            self.sidecar_suggestions[guid] = {
                "segment": segment.position,
                "code": suggestion.code_id,
                "probability": suggestion.probability,
                "model_name": suggestion.model_name,
                "model_version": suggestion.model_version,
                "codebook_version": suggestion.codebook_version,
                "status": suggestion.status,
                "explanation": suggestion.explanation
                if self.known is None
                else redact_known_in(suggestion.explanation, self.known),
            }

    def by_document(self) -> dict[str, list[RefiSelection]]:
        grouped: dict[str, list[RefiSelection]] = defaultdict(list)
        for (doc_name, _, _), selection in self.by_span.items():
            grouped[doc_name].append(selection)
        return grouped


def _notes(
    memos: list[Any],
    selections: _Selections,
    user_guid: dict[str, str],
    report: ExchangeReport,
    known: dict[str, str] | None,
) -> tuple[list[RefiNote], dict[str, dict[str, list[str]]]]:
    """Memos as notes, and the note GUIDs each code, document and coding refers to."""
    notes: list[RefiNote] = []
    refs: dict[str, dict[str, list[str]]] = {"code": defaultdict(list), "document": defaultdict(list)}
    by_coding_guid = {c.guid: c for s in selections.by_span.values() for c in s.codings}
    seen: dict[str, int] = defaultdict(int)
    for memo, coder_name in memos:
        target = memo.target_id
        if memo.target_type == "coding":
            coding_guid = selections.coding_guid_by_id.get(int(target)) if target.isdigit() else None
            if coding_guid is None:
                report.skipped.append(f"memo {memo.id} on coding {target}: that coding is not exported")
                continue
            target = coding_guid
        key = f"{memo.target_type}:{target}:{hashlib.sha256(memo.text.encode()).hexdigest()[:16]}"
        seen[key] += 1
        guid = guid_for("memo", f"{key}:{seen[key]}")
        text = memo.text if known is None else redact_known(memo.text, known)
        notes.append(
            RefiNote(guid, f"Memo on {memo.target_type} {memo.target_id}"[:200], text, user_guid.get(coder_name),
                     _stamp(memo.created_at))
        )  # fmt: skip
        if memo.target_type == "coding":
            by_coding_guid[target].notes.append(guid)
        else:
            refs[memo.target_type][target].append(guid)
    return notes, refs


def _sidecar(
    rows: _Rows, selections: _Selections, folders: list[str], suggestion_user: str | None, shown: dict[int, Any]
) -> dict[str, Any]:
    """What REFI cannot hold, keyed by the GUIDs of the project file (offsets into the exported text)."""

    def turn(doc: Document, segment: Segment, sentences: list[tuple[int, int]]) -> list[Any]:
        view, mapped = shown[doc.id]
        return [
            segment.position,
            segment.role,
            view.speaker(segment.speaker_label),
            segment.timestamp,
            *mapped.span(segment.start, segment.end),
            [list(mapped.span(s, e)) for s, e in sentences],
        ]

    return {
        "format": SIDECAR_FORMAT,
        "version": 1,
        "project": {
            "name": rows.project.name if rows.project else "",
            "blind": bool(rows.project and rows.project.blind),
        },
        "codebooks": [
            {"id": b.id, "name": b.name, "version": b.version, "sha256": b.sha256, "groups": b.groups}
            for b in rows.books
        ],
        "codes": {
            guid_for("code", c.id): {
                "id": c.id,
                "codebook_id": c.codebook_id,
                "group": c.group,
                "definition": c.definition,
                "include": c.include,
                "exclude": c.exclude,
                "examples": c.examples,
                "keywords": c.keywords,
                "colour": c.colour,
                "parent_id": c.parent_id,
            }
            for c in rows.codes
        },
        "folders": folders,
        "documents": {
            guid_for("document", doc.name): {
                "name": doc.name,
                "encoding": doc.encoding,
                "language": doc.language,
                "sha256": doc.sha256 if shown[doc.id][0].raw else _sha256(shown[doc.id][1].text),
                "segments": [turn(doc, s, sentences) for s, sentences in rows.segments[doc.id]],
            }
            for doc in rows.documents
        },
        "codings": selections.sidecar_codings,
        "suggestion_user": suggestion_user,
        "suggestions": selections.sidecar_suggestions,
    }


def _not_seen(rows: _Rows, folders: list[str]) -> list[str]:
    """What another tool will not see, in the user's words."""
    out = []
    extra = sum(bool(c.include or c.exclude or c.examples or c.keywords) for c in rows.codes)
    if extra:
        out.append(
            f"{extra} codes' include/exclude criteria, examples and keywords (other tools see the definition only)"
        )
    n_segments = sum(len(v) for v in rows.segments.values())
    if n_segments:
        out.append(f"{n_segments} speaker turns with their roles (other tools see plain text)")
    if rows.suggestions:
        out.append(
            f"{len(rows.suggestions)} suggestions' probabilities, explanations and review status (other tools see "
            f"them as codings by user {SUGGESTION_USER!r})"
        )
    if any(c.origin not in (ORIGIN_IMPORTED, "human") for c, _, _ in rows.codings):
        out.append("which codings came from accepted or corrected suggestions or consensus")
    if folders:
        out.append(
            f"{len(folders)} code groups are exported as non-codable folders (isCodable=false) so that "
            "other tools show the tree"
        )
    return out


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_refi_project(
    store: Store, coders: list[str] | None = None, *, raw: bool = False
) -> tuple[RefiProject, ExchangeReport]:
    """The store as a :class:`RefiProject` with its sidecar (blind mode: one coder's codings only).

    De-identified unless ``raw`` (see the module's docstring); the caller audits a raw export.
    """
    allowed = allowed_coders(store, coders)
    rows = _load_rows(store, set(allowed) if allowed else None)
    with store.read() as session:
        doc_views = views(session, [d.id for d in rows.documents], raw=raw)
        known = None if raw else known_identifiers(session)
    # Document id -> (its view, the whole text's view with its offset map).
    shown = {d.id: (doc_views[d.id], doc_views[d.id].segment(0, len(d.text))) for d in rows.documents}

    report = ExchangeReport()
    user_guid = {c.name: guid_for("coder", c.name) for c in rows.coders}
    users = [RefiUser(user_guid[c.name], c.name) for c in rows.coders]
    suggestion_user = guid_for("coder", SUGGESTION_USER) if rows.suggestions else None
    if suggestion_user:
        users.append(RefiUser(suggestion_user, SUGGESTION_USER))
    selections = _Selections({d.name: shown[d.id][1] for d in rows.documents}, known)
    selections.add_codings(rows.codings, user_guid)
    if suggestion_user:
        selections.add_suggestions(rows.suggestions, suggestion_user)
    notes, refs = _notes(rows.memos, selections, user_guid, report, known)
    refi_codes, folders = _code_list(rows.codes, refs["code"])
    sources, cases, variables = [], [], dict[str, str]()
    by_document = selections.by_document()
    for doc in rows.documents:
        guid = guid_for("document", doc.name)
        sources.append(
            RefiSource(guid=guid, name=doc.name, text=shown[doc.id][1].text, selections=by_document.get(doc.name, []),
                       notes=refs["document"].get(doc.name, []))
        )  # fmt: skip
        attributes = {str(k): "" if v is None else str(v) for k, v in (doc.attributes or {}).items()}
        for key in attributes:
            variables.setdefault(key, "Text")
        if attributes:
            cases.append(RefiCase(guid_for("case", doc.name), doc.name, attributes, [guid]))
    project = RefiProject(
        name=rows.project.name if rows.project else "survivor-qda project",
        origin="survivor-qda",
        creating_user=users[0].guid if users else None,
        users=users,
        codes=refi_codes,
        variables=variables,
        cases=cases,
        sources=sources,
        notes=notes,
        sidecar=_sidecar(rows, selections, folders, suggestion_user, shown),
    )
    report.counts = {
        "users": len(users),
        "codes": len(rows.codes),
        "code folders": len(folders),
        "documents": len(rows.documents),
        "codings": len(rows.codings),
        "suggestions": len(rows.suggestions),
        "notes": len(notes),
        "cases": len(cases),
    }
    report.not_seen = _not_seen(rows, folders)
    return project, report


def export_qdpx(
    store: Store,
    output: str | Path | None = None,
    coders: list[str] | None = None,
    *,
    raw: bool = False,
    actor: str = "system",
) -> tuple[bytes, ExchangeReport]:
    """Write the store as a REFI-QDA project archive; return its bytes and what it holds.

    The sources are the de-identified texts unless ``raw``, which is recorded in the audit trail.
    """
    project, report = build_refi_project(store, coders, raw=raw)
    if raw:
        audit_raw_access(store, [s.name for s in project.sources], actor, "qdpx export")
    data = write_qdpx(project, _now())
    if output is not None:
        write_private_bytes(output, data)
    return data, report


def export_qdc(store: Store, output: str | Path | None = None) -> tuple[bytes, ExchangeReport]:
    """Write the codebook alone as a REFI-QDA ``.qdc`` file."""
    with store.read() as session:
        codes = list(session.scalars(select(Code).order_by(Code.id)))
    if not codes:
        raise InputFileError("the store has no codes to export; load a codebook first")
    refi_codes, folders = _code_list(codes, {})
    data = write_qdc(refi_codes)
    if output is not None:
        Path(output).write_bytes(data)
    report = ExchangeReport(counts={"codes": len(codes), "code folders": len(folders)})
    extra = sum(bool(c.include or c.exclude or c.examples or c.keywords) for c in codes)
    if extra:
        report.not_seen.append(
            f"{extra} codes' include/exclude criteria, examples and keywords and the fixed code ids "
            "(a .qdc holds names, colours and descriptions; use the YAML codebook to keep them)"
        )
    return data, report
