"""Import a REFI-QDA project (``.qdpx``) into an empty store, or a ``.qdc`` codebook into any store.

Everything is read and checked before one transaction writes it (a damaged file or sidecar writes
nothing), and every item left out is named in :attr:`~toolkit.analysis.exchange.ExchangeReport.skipped`.
The sidecar written by :mod:`toolkit.analysis.exchange` restores what REFI cannot hold.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import func, select

from toolkit.analysis.exchange import SIDECAR_FORMAT, ExchangeReport, guid_for
from toolkit.corpus.identifiers import register_memo_identifiers
from toolkit.corpus.importer import segment_at
from toolkit.corpus.segment import SegmentSpec, segment_text
from toolkit.errors import InputFileError
from toolkit.io.refi_qda import RefiCode, RefiProject, RefiSelection, RefiSource, read_qdc, read_qdpx
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import (
    MODEL_CODER,
    ORIGIN_IMPORTED,
    ORIGINS,
    ROLES,
    SUGGESTION_STATUSES,
    Code,
    Codebook,
    Coder,
    Coding,
    Document,
    Memo,
    Segment,
    Sentence,
    Suggestion,
)

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["MAX_QDPX_FILE_BYTES", "import_qdpx", "load_qdc"]

MAX_QDPX_FILE_BYTES = 256 * 1024 * 1024
_DEFAULT_COLOUR = "#888888"


def _parse_stamp(value: str | None) -> datetime | None:
    """A REFI ``xsd:dateTime`` (``...Z``) as an aware datetime; None (the store's default: now) if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------- import


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug:
        return "code"
    return slug if slug[0].isalpha() else f"c_{slug}"


def _colour(value: str | None) -> str:
    if not value:
        return _DEFAULT_COLOUR
    value = value.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        return "#" + "".join(ch * 2 for ch in value[1:]).lower()
    return value.lower() if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else _DEFAULT_COLOUR


def _code_ids(codes: list[RefiCode], sidecar: dict[str, Any] | None, known: dict[str, str]) -> dict[str, str]:
    """GUID -> code id: the sidecar's (or the store's, by GUID) id, else a slug of the names down the tree."""
    restored = (sidecar or {}).get("codes") or {}
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for code in codes:
        meta = restored.get(code.guid)
        if isinstance(meta, dict) and isinstance(meta.get("id"), str):
            ids[code.guid] = meta["id"]
        elif code.guid in known:
            ids[code.guid] = known[code.guid]
        else:
            base = _slug(code.name.split("::")[-1] if "::" in code.name and code.parent is None else code.name)
            if "::" in code.name and code.parent is None:
                base = ".".join(_slug(part) for part in code.name.split("::"))
            parent = ids.get(code.parent) if code.parent else None
            candidate = f"{parent}.{base}" if parent else base
            unique, n = candidate, 2
            while unique in taken or unique in ids.values():
                unique, n = f"{candidate}_{n}", n + 1
            ids[code.guid] = unique
        taken.add(ids[code.guid])
    return ids


def _code_rows(
    codes: list[RefiCode], ids: dict[str, str], sidecar: dict[str, Any] | None, book_id: str
) -> list[dict[str, Any]]:
    restored = (sidecar or {}).get("codes") or {}
    folders = set((sidecar or {}).get("folders") or [])
    rows = []
    for code in codes:
        if code.guid in folders:
            continue
        meta = restored.get(code.guid) if isinstance(restored.get(code.guid), dict) else {}
        code_id = ids[code.guid]
        parent = ids.get(code.parent) if code.parent and code.parent not in folders else None
        rows.append(
            {
                "id": code_id,
                "codebook_id": meta.get("codebook_id", book_id) if meta else book_id,
                "group": meta.get("group", code_id.split(".")[0]) if meta else code_id.split(".")[0],
                "name": code.name[:200],
                "definition": meta.get("definition", code.description) if meta else code.description,
                "include": list(meta.get("include") or []) if meta else [],
                "exclude": list(meta.get("exclude") or []) if meta else [],
                "examples": list(meta.get("examples") or []) if meta else [],
                "keywords": list(meta.get("keywords") or []) if meta else [],
                "colour": _colour(meta.get("colour") if meta else code.color),
                "parent_id": meta.get("parent_id", parent) if meta else parent,
            }
        )
    return rows


@dataclass
class _PlannedDoc:
    source: RefiSource
    segments: list[SegmentSpec]
    meta: dict[str, Any]
    attributes: dict[str, str] = field(default_factory=dict)


def _segments_from_sidecar(text: str, rows: list[Any]) -> list[SegmentSpec]:
    """Speaker turns as this toolkit wrote them; anything out of shape or out of range is refused."""
    specs = []
    positions: set[int] = set()
    for row in rows:
        position, role, label, timestamp, start, end, sentences = row
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (position, start, end)):
            raise ValueError("segment position and offsets must be whole numbers")
        if not (0 <= start <= end <= len(text)) or position in positions:
            raise ValueError(f"segment {position} lies outside its document's text or repeats a position")
        if role not in ROLES or not isinstance(label, str) or not (timestamp is None or isinstance(timestamp, str)):
            raise ValueError(f"segment {position} has an unknown role {role!r}")
        spans = tuple((int(s), int(e)) for s, e in sentences)
        if any(not (start <= s <= e <= end) for s, e in spans):
            raise ValueError(f"a sentence of segment {position} lies outside it")
        positions.add(position)
        specs.append(
            SegmentSpec(
                position=position,
                role=role,
                speaker_label=label,
                timestamp=timestamp,
                start=start,
                end=end,
                text=text[start:end],
                sentences=spans,
            )
        )
    return specs


def _attribute_sets(project: RefiProject, imported: set[str], report: ExchangeReport) -> dict[str, dict[str, str]]:
    """ATLAS.ti writes document attributes as document groups named ``attribute: value``."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for name, members in project.sets.items():
        match = re.fullmatch(r"\s*([^:]{1,60}?)\s*:\s*(.+?)\s*", name)
        present = [m for m in members if m in imported]
        if match and present:
            for member in present:
                out[member][match.group(1)] = match.group(2)
            report.warnings.append(
                f"set {name!r} read as the attribute {match.group(1)}={match.group(2)!r} of {len(present)} document(s)"
            )
        elif members:
            why = "its documents are not imported" if match else "document groups are not kept"
            report.skipped.append(f"set {name!r} ({len(members)} members): {why}")
    return out


def _plan_documents(project: RefiProject, nlp: Language | None, report: ExchangeReport) -> dict[str, _PlannedDoc]:
    sidecar_docs = (project.sidecar or {}).get("documents") or {}
    planned: dict[str, _PlannedDoc] = {}
    names: set[str] = set()
    for source in project.sources:
        if source.text is None:  # the reader listed the source; say what went with it
            n = len(source.selections)
            codings = sum(len(s.codings) for s in source.selections) + len(source.codings)
            if n or codings:
                report.skipped.append(
                    f"{n} selection(s) with {codings} coding(s) on text source {source.name!r}, "
                    "whose text the archive does not carry"
                )
            continue
        if not source.text.strip():
            report.skipped.append(f"text source {source.name!r}: empty text")
            continue
        found = sidecar_docs.get(source.guid)
        meta: dict[str, Any] = found if isinstance(found, dict) else {}
        name = str(meta.get("name") or Path(source.name).stem or source.name)[:200]
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.add(name)
        if meta.get("segments") is not None:
            specs = _segments_from_sidecar(source.text, meta["segments"])
        else:
            specs, warnings = segment_text(source.text, None, nlp, name=name)
            report.warnings.extend(f"{name}: {w}" for w in warnings)
        planned[source.guid] = _PlannedDoc(source, specs, {**meta, "name": name})
    sets = _attribute_sets(project, set(planned), report)
    for guid, doc in planned.items():
        doc.attributes.update(sets.get(guid, {}))
        doc.attributes.update(doc.source.variables)
    for case in project.cases:
        members = [g for g in case.sources if g in planned]
        if not case.values:
            continue
        if not members:
            report.skipped.append(f"case {case.name!r}: its variables belong to no imported text source")
            continue
        if len(members) > 1:
            report.warnings.append(f"case {case.name!r} groups {len(members)} sources; its variables go on each")
        for guid in members:
            planned[guid].attributes.update(case.values)
    return planned


def _check_code_rows(rows: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("two codes share one id")
    for row in rows:
        if not isinstance(row["id"], str) or not row["id"]:
            raise ValueError("a code id must be a text")
        if row["parent_id"] is not None and row["parent_id"] not in ids:
            raise ValueError(f"code {row['id']!r} names an unknown parent {row['parent_id']!r}")
        for key in ("name", "definition", "group"):
            if not isinstance(row[key], str):
                raise ValueError(f"code {row['id']!r}: {key} must be a text")
        for key in ("include", "exclude", "examples", "keywords"):
            if not all(isinstance(v, str) for v in row[key]):
                raise ValueError(f"code {row['id']!r}: {key} must be a list of texts")


def _store_is_empty(store: Store) -> bool:
    with store.read() as session:
        return not any(
            session.scalar(select(func.count()).select_from(model)) for model in (Document, Code, Coding, Suggestion)
        )


def _read_upload(source: str | Path | bytes | BinaryIO, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InputFileError("no such file", file=str(path))
        if path.stat().st_size > MAX_QDPX_FILE_BYTES:
            raise InputFileError(f"file over {MAX_QDPX_FILE_BYTES:,} bytes (limit)", file=str(path))
        return path.read_bytes(), str(path)
    data = source if isinstance(source, bytes) else source.read(MAX_QDPX_FILE_BYTES + 1)
    display = str(name or getattr(source, "name", None) or "<upload>")
    if len(data) > MAX_QDPX_FILE_BYTES:
        raise InputFileError(f"file over {MAX_QDPX_FILE_BYTES:,} bytes (limit)", file=display)
    return data, display


def _user_names(project: RefiProject) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for user in project.users:
        name = " ".join(user.name.split())[:90] or user.guid
        if name == MODEL_CODER:  # the name this toolkit keeps for its model; a person's codings must not vanish
            name = f"{MODEL_CODER} (imported)"
        base, n = name, 2
        while name in used:
            name, n = f"{base} ({n})", n + 1
        used.add(name)
        names[user.guid] = name
    return names


def _suggestion(meta: dict[str, Any], segment_id: int, code_id: str, created: str | None) -> Suggestion:
    """A suggestion restored from the sidecar, with its probability, explanation, status and time."""
    status = meta.get("status") if meta.get("status") in SUGGESTION_STATUSES else "open"
    row = Suggestion(
        segment_id=segment_id,
        code_id=code_id,
        probability=float(meta.get("probability", 0)),
        model_name=str(meta.get("model_name", "")),
        model_version=str(meta.get("model_version", "")),
        codebook_version=str(meta.get("codebook_version") or ""),
        explanation=meta.get("explanation") or {},
        status=status,
    )
    stamp = _parse_stamp(created)
    if stamp is not None:
        row.created_at = stamp
    return row


@dataclass
class _Plan:
    """Everything read and checked from the archive before the transaction."""

    project: RefiProject
    display: str
    sidecar: dict[str, Any] | None
    ids: dict[str, str]  # code GUID -> code id
    codes: list[dict[str, Any]]
    documents: dict[str, _PlannedDoc]
    users: dict[str, str]  # user GUID -> coder name
    book_id: str


class _Writer:
    """Writes a :class:`_Plan` inside one transaction, counting what it wrote and listing what it left out."""

    def __init__(self, tx: Transaction, plan: _Plan, report: ExchangeReport) -> None:
        self.tx, self.plan, self.report = tx, plan, report
        sidecar = plan.sidecar or {}
        self.suggestion_user = sidecar.get("suggestion_user")
        self.sidecar_codings = sidecar.get("codings") or {}
        self.sidecar_suggestions = sidecar.get("suggestions") or {}
        self.coders: dict[str, Coder] = {}
        self.memo_targets: list[tuple[str, str, str]] = []  # (note GUID, target type, target id)
        self.counts = {"codings": 0, "suggestions": 0, "memos": 0}
        creator = plan.project.creating_user
        self.fallback_user = creator if creator in plan.users else None

    def codebooks_and_codes(self) -> None:
        plan = self.plan
        books = (plan.sidecar or {}).get("codebooks") or [
            {"id": plan.book_id, "name": plan.project.name or plan.book_id, "version": "1"}
        ]
        for book in books:
            self.tx.session.add(
                Codebook(id=book["id"], name=book.get("name", ""), version=str(book.get("version", "1")),
                         source_path=plan.display[:1000], sha256=book.get("sha256", ""),
                         groups=book.get("groups") or {})
            )  # fmt: skip
        self.tx.session.flush()
        book_ids = {book["id"] for book in books}
        for row in plan.codes:
            if row["codebook_id"] is not None and row["codebook_id"] not in book_ids:
                raise ValueError(f"code {row['id']!r} names an unknown codebook {row['codebook_id']!r}")
            self.tx.session.add(Code(**row))
        self.tx.session.flush()

    def users(self) -> None:
        for guid, user_name in self.plan.users.items():
            if guid != self.suggestion_user:
                self.coders[guid] = self.tx.coder(user_name)

    def coder_for(self, guid: str | None) -> Coder:
        key = guid if guid in self.coders else self.fallback_user
        if key in self.coders:
            return self.coders[key]
        if "" not in self.coders:
            self.coders[""] = self.tx.coder("imported")
        return self.coders[""]

    def document(self, project_id: int, doc: _PlannedDoc) -> Document:
        text = doc.source.text or ""
        row = Document(
            project_id=project_id,
            name=doc.meta["name"],
            source_path=self.plan.display[:1000],
            sha256=doc.meta.get("sha256") or hashlib.sha256(text.encode("utf-8")).hexdigest(),
            encoding=doc.meta.get("encoding") or "utf-8",
            language=doc.meta.get("language") or "en",
            text=text,
            attributes=doc.attributes,
        )
        self.tx.session.add(row)
        self.tx.session.flush()
        for spec in doc.segments:
            segment = Segment(
                document_id=row.id, position=spec.position, role=spec.role, speaker_label=spec.speaker_label,
                timestamp=spec.timestamp, start=spec.start, end=spec.end, text=spec.text,
            )  # fmt: skip
            segment.sentences = [Sentence(position=i, start=s, end=e) for i, (s, e) in enumerate(spec.sentences)]
            self.tx.session.add(segment)
        self.tx.session.flush()
        self.tx.session.expire(row, ["segments"])
        self.tx.audit("document.import", "document", row.id, after={"name": row.name, "from": "qdpx"})
        return row

    def selections(self, row: Document, doc: _PlannedDoc) -> None:
        source = doc.source
        segments = list(row.segments)
        self.memo_targets.extend((note, "document", row.name) for note in source.notes)
        selections = list(source.selections)
        if source.codings:
            selections.append(RefiSelection(guid=source.guid, start=0, end=len(row.text), codings=source.codings))
            self.report.warnings.append(f"{len(source.codings)} coding(s) of the whole of {row.name!r} kept as spans")
        for selection in selections:
            if not (0 <= selection.start <= selection.end <= len(row.text)):
                self.report.skipped.append(
                    f"selection {selection.guid} of {row.name!r}: positions {selection.start}-{selection.end} "
                    f"outside the text (length {len(row.text)})"
                )
            elif not selection.codings:
                self.report.skipped.append(
                    f"selection {selection.name or selection.guid!r} of {row.name!r}: no code on it (a quotation only)"
                )
            else:
                self.selection(row, segments, selection)

    def selection(self, row: Document, segments: list[Segment], selection: RefiSelection) -> None:
        segment = segment_at(segments, selection.start, selection.end)
        first_coding_id = None
        for refi in selection.codings:
            code_id = self.plan.ids.get(refi.code)
            if code_id is None:
                self.report.skipped.append(f"coding {refi.guid} on {row.name!r}: unknown code {refi.code}")
                continue
            if self.tx.session.get(Code, code_id) is None:
                self.report.skipped.append(f"coding {refi.guid}: code folder {code_id!r} is not a code here")
                continue
            if self.suggestion_user and refi.user == self.suggestion_user and refi.guid in self.sidecar_suggestions:
                self.suggestion(refi.guid, segments, segment, code_id, refi.created)
                continue
            meta = self.sidecar_codings.get(refi.guid) or {}
            coding = Coding(
                document_id=row.id, segment_id=segment.id if segment else None, code_id=code_id,
                coder_id=self.coder_for(refi.user or selection.user).id, start=selection.start, end=selection.end,
                origin=meta.get("origin") if meta.get("origin") in ORIGINS else ORIGIN_IMPORTED,
                model_name=meta.get("model_name"), model_version=meta.get("model_version"),
                codebook_version=meta.get("codebook_version"),
            )  # fmt: skip
            created = _parse_stamp(refi.created)
            if created is not None:
                coding.created_at = created
            self.tx.session.add(coding)
            self.tx.session.flush()
            self.counts["codings"] += 1
            first_coding_id = first_coding_id or coding.id
            self.memo_targets.extend((note, "coding", str(coding.id)) for note in refi.notes)
        if first_coding_id is None:
            return
        self.memo_targets.extend((note, "coding", str(first_coding_id)) for note in selection.notes)
        if selection.description.strip():  # ATLAS.ti's quotation comment
            self.tx.session.add(
                Memo(target_type="coding", target_id=str(first_coding_id),
                     coder_id=self.coder_for(selection.user).id, text=selection.description.strip())
            )  # fmt: skip

    def suggestion(
        self, guid: str, segments: list[Segment], segment: Segment | None, code_id: str, created: str | None
    ) -> None:
        meta = self.sidecar_suggestions[guid]
        turn = next((s for s in segments if s.position == meta.get("segment")), segment)
        if turn is None:
            self.report.skipped.append(f"suggestion {guid}: no turn to put it on")
            return
        self.tx.session.add(_suggestion(meta, turn.id, code_id, created))
        self.counts["suggestions"] += 1

    def memos(self) -> None:
        project = self.plan.project
        for code in project.codes:
            code_id = self.plan.ids.get(code.guid)
            if code_id is not None and self.tx.session.get(Code, code_id) is not None:
                self.memo_targets.extend((note, "code", code_id) for note in code.notes)
        notes = {n.guid: n for n in project.notes}
        attached: set[str] = set()
        for note_guid, target_type, target_id in self.memo_targets:
            note = notes.get(note_guid)
            if note is None or not note.text.strip():
                continue
            attached.add(note_guid)
            self.tx.session.add(
                Memo(target_type=target_type, target_id=target_id, coder_id=self.coder_for(note.user).id,
                     text=note.text.strip())
            )  # fmt: skip
            self.counts["memos"] += 1
        if self.counts["memos"]:
            self.tx.session.flush()
            register_memo_identifiers(self.tx)  # names in the imported notes get their pseudonyms
        for note in project.notes:
            if note.guid not in attached:
                self.report.skipped.append(
                    f"note {note.name or note.guid!r}: attached to no code, document or coding here"
                )


def _plan(project: RefiProject, display: str, nlp: Language | None, report: ExchangeReport) -> _Plan:
    """Check everything and segment the texts; the sidecar is JSON from a file, so any odd shape is refused."""
    sidecar = project.sidecar if (project.sidecar or {}).get("format") == SIDECAR_FORMAT else None
    if project.sidecar is not None and sidecar is None:
        report.warnings.append("the archive's survivor-qda.json is not a survivor-qda sidecar; ignored")
    book_id = f"refi_{_slug(project.name or Path(display).stem)}"[:100]
    try:
        ids = _code_ids(project.codes, sidecar, {})
        codes = _code_rows(project.codes, ids, sidecar, book_id)
        _check_code_rows(codes)
        documents = _plan_documents(project, nlp, report)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InputFileError(f"survivor-qda.json inside the archive is damaged: {exc}", file=display) from None
    own_folders = set((sidecar or {}).get("folders") or [])
    folders = [c.name for c in project.codes if not c.codable and c.guid not in own_folders]
    if folders:
        report.warnings.append(
            f"{len(folders)} code folder(s) (isCodable=false) kept as parent codes: {', '.join(folders)}"
        )
    return _Plan(project, display, sidecar, ids, codes, documents, _user_names(project), book_id)


def import_qdpx(
    store: Store,
    source: str | Path | bytes | BinaryIO,
    name: str | None = None,
    *,
    nlp: Language | None = None,
    actor: str = "system",
) -> ExchangeReport:
    """Import a REFI-QDA project into an empty store; return what was imported and what was skipped."""
    data, display = _read_upload(source, name)
    project = read_qdpx(data, display)
    report = ExchangeReport(skipped=list(project.skipped), warnings=list(project.warnings))
    if not _store_is_empty(store):
        raise InputFileError(
            "import a .qdpx into a new, empty store (it has documents, codes or codings already); "
            "create one with `qda --db sqlite:///imported.sqlite init`",
            file=display,
        )
    plan = _plan(project, display, nlp, report)
    try:
        with store.transaction(actor=actor) as tx:
            project_row = tx.project()
            if plan.sidecar and plan.sidecar.get("project"):
                project_row.blind = bool(plan.sidecar["project"].get("blind"))
            project_row.name = (project.name or project_row.name)[:200]
            writer = _Writer(tx, plan, report)
            writer.codebooks_and_codes()
            writer.users()
            for doc in plan.documents.values():
                writer.selections(writer.document(project_row.id, doc), doc)
            writer.memos()
            report.counts = {
                "users": len(writer.coders),
                "codes": len(plan.codes),
                "documents": len(plan.documents),
                **writer.counts,
                "documents with attributes": sum(bool(d.attributes) for d in plan.documents.values()),
            }
            tx.audit("project.import_qdpx", "project", project_row.id, after={"file": display, **report.counts})
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # rolled back: nothing was written
        raise InputFileError(f"survivor-qda.json inside the archive is damaged: {exc}", file=display) from None
    return report


def load_qdc(
    store: Store, source: str | Path | bytes | BinaryIO, name: str | None = None, actor: str = "system"
) -> ExchangeReport:
    """Load (or update) the codes of a REFI-QDA ``.qdc`` codebook; a code exported from here keeps its id."""
    data, display = _read_upload(source, name)
    refi_codes = read_qdc(data, display)
    book_id = f"qdc_{_slug(Path(display).stem)}"[:100]
    with store.read() as session:
        existing = {c.id: c.group for c in session.scalars(select(Code))}
    known = {guid_for("code", code_id): code_id for code_id in existing}
    # the group folders this toolkit wrote are not codes: their members keep their own place
    own_folders = {"folders": [guid_for("group", group) for group in set(existing.values()) if group]}
    ids = _code_ids(refi_codes, None, known)
    rows = _code_rows(refi_codes, ids, own_folders, book_id)
    report = ExchangeReport()
    folders = [c.name for c in refi_codes if not c.codable and c.guid not in set(own_folders["folders"])]
    if folders:
        report.warnings.append(
            f"{len(folders)} code folder(s) (isCodable=false) kept as parent codes: {', '.join(folders)}"
        )
    added = updated = 0
    with store.transaction(actor=actor) as tx:
        if tx.session.get(Codebook, book_id) is None:
            tx.session.add(Codebook(id=book_id, name=Path(display).stem, version="1", source_path=display[:1000],
                                    sha256=hashlib.sha256(data).hexdigest()))  # fmt: skip
            tx.session.flush()
        for row in rows:
            code = tx.session.get(Code, row["id"])
            if code is None:
                tx.session.add(Code(**row))
                tx.audit("code.add", "code", row["id"], after={"name": row["name"], "from": display})
                added += 1
                continue
            before = {"name": code.name, "definition": code.definition, "colour": code.colour}
            code.name, code.definition = row["name"], row["definition"] or code.definition
            if row["colour"] != _DEFAULT_COLOUR:
                code.colour = row["colour"]
            after = {"name": code.name, "definition": code.definition, "colour": code.colour}
            if after != before:
                tx.audit("code.update", "code", row["id"], before=before, after=after)
                updated += 1
        tx.audit("codebook.load_qdc", "codebook", book_id, after={"file": display, "added": added, "updated": updated})
    report.counts = {"codes": len(rows), "added": added, "updated": updated}
    return report
