"""Bring transcripts into a store: read, segment, then write everything in one transaction.

All files are read and segmented before the store is touched, so a bad file among many leaves the
store exactly as it was. Re-importing an identical file is a no-op; a changed file under an existing
name is refused unless ``replace=True``, which keeps every coding whose text is still in the new version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from toolkit.config import effective_embedding_model, model_languages
from toolkit.corpus.attributes import AttributeTable, apply_attributes, read_attribute_table
from toolkit.corpus.deid import Detection, Detector
from toolkit.corpus.identifiers import (
    carry_over_reviews,
    derived_texts,
    purge_text_caches,
    store_detections,
    views,
)
from toolkit.corpus.language import LANGUAGE_NAMES, detect_language
from toolkit.corpus.segment import SegmentSpec, segment_text, sentence_pipeline_for
from toolkit.errors import InputFileError
from toolkit.io.transcripts import RoleOverrides, Transcript, read_transcript
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import Coding, Document, Project, Segment, Sentence, Suggestion

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "FINDING_IDENTIFIERS",
    "READING",
    "ImportReport",
    "import_files",
    "import_transcripts",
    "prepare_transcripts",
]

READING = "reading and segmenting"
"""The first step :func:`import_files` reports progress for."""
FINDING_IDENTIFIERS = "finding identifiers"
"""The second: names, places and numbers in every new or changed document."""


@dataclass
class ImportReport:
    """What an import did, per document, for the CLI and the dashboard to print."""

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    codings_kept: int = 0
    codings_dropped: int = 0
    suggestions_kept: int = 0
    suggestions_dropped: dict[str, int] = field(default_factory=dict)
    segments: int = 0
    identifiers: dict[str, int] = field(default_factory=dict)
    """Document -> identifiers detected (de-identification on import)."""
    cache_rows_purged: int = 0
    warnings: list[str] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)
    embedding_model: str = ""


@dataclass(frozen=True)
class _Prepared:
    transcript: Transcript
    segments: list[SegmentSpec]
    language: str = "en"


def prepare_transcripts(
    sources: Sequence[str | Path | Transcript],
    overrides: RoleOverrides | None = None,
    nlp: Language | None = None,
    encoding: str | None = None,
    language: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[_Prepared], list[str]]:
    """Read and segment every source; raise on the first bad one before anything is stored.

    Each document's language is ``language`` if given, else detected from its text; it picks the sentence
    splitter unless ``nlp`` is given. ``on_progress(done, total)`` at the start and after each source.
    """
    prepared: list[_Prepared] = []
    warnings: list[str] = []
    names: dict[str, str] = {}
    report = on_progress or (lambda done, total: None)
    report(0, len(sources))
    for source in sources:
        transcript = source if isinstance(source, Transcript) else read_transcript(source, encoding=encoding)
        where = transcript.source_path or transcript.name
        if transcript.name in names:
            raise InputFileError(
                f"two files would both be named {transcript.name!r} (also {names[transcript.name]}); "
                "rename one of them",
                file=where,
            )
        names[transcript.name] = where
        warnings.extend(f"{where}: {w}" for w in transcript.warnings)
        lang = language
        if lang is None:
            guess = detect_language(transcript.text)
            lang = guess.language
            if guess.secondary:
                warnings.append(
                    f"{where}: mixes {LANGUAGE_NAMES.get(lang, lang)} with much "
                    f"{LANGUAGE_NAMES.get(guess.secondary, guess.secondary)}; stored as {lang!r} "
                    "(set it with `qda import --language`)"
                )
        pipeline = nlp if nlp is not None else sentence_pipeline_for(lang)
        specs, seg_warnings = segment_text(transcript.text, overrides, pipeline, name=where)
        warnings.extend(f"{where}: {w}" for w in seg_warnings)
        prepared.append(_Prepared(transcript, specs, lang))
        report(len(prepared), len(sources))
    return prepared, warnings


def _add_segments(tx: Transaction, document: Document, specs: list[SegmentSpec]) -> None:
    """Insert segments and sentences with two bulk INSERTs, in time linear in the number of turns.

    Building one ORM object per segment and sentence cost ~1 ms per turn and grew faster than the number
    of turns (unit-of-work bookkeeping, backref events): 100,000 turns took minutes and >1 GB. Core
    ``insert ... returning`` keeps the ids in parameter order on SQLite and PostgreSQL alike. The
    document's ``segments`` collection is expired so that later reads see the new rows.
    """
    tx.session.flush()
    if specs:
        rows = [
            {
                "document_id": document.id,
                "position": spec.position,
                "role": spec.role,
                "speaker_label": spec.speaker_label,
                "timestamp": spec.timestamp,
                "start": spec.start,
                "end": spec.end,
                "text": spec.text,
            }
            for spec in specs
        ]
        ids = tx.session.scalars(insert(Segment).returning(Segment.id, sort_by_parameter_order=True), rows).all()
        sentences = [
            {"segment_id": segment_id, "position": i, "start": s, "end": e}
            for segment_id, spec in zip(ids, specs, strict=True)
            for i, (s, e) in enumerate(spec.sentences)
        ]
        if sentences:
            tx.session.execute(insert(Sentence), sentences)
    tx.session.expire(document, ["segments"])


def segment_at(segments: Sequence[Segment], start: int, end: int) -> Segment | None:
    """The segment that overlaps the span [start, end) most (ties: the first)."""
    best, best_overlap = None, -1
    for segment in segments:
        overlap = min(end, segment.end) - max(start, segment.start)
        if overlap > best_overlap and (overlap > 0 or (start == end and segment.start <= start <= segment.end)):
            best, best_overlap = segment, overlap
    return best


def _replace_document(tx: Transaction, document: Document, item: _Prepared, report: ImportReport) -> None:
    """Swap in the new text and segments, keeping what is still true of the new text.

    A coding whose quoted text survives moves to it (with its provenance: origin, model, versions). A
    suggestion whose turn is still there word for word moves to the new turn with its decision and
    review; one whose turn changed is stale and goes, and so does its review: the coding it produced
    stays if its text survives, keeping the model and versions it came from. Old segments are moved out
    of the way (negative positions) rather than deleted first, so nothing cascades before it is moved.
    """
    old_text = document.text
    new_text = item.transcript.text
    codings = list(tx.session.scalars(select(Coding).where(Coding.document_id == document.id)))
    old_segments = list(document.segments)
    before = {"sha256": document.sha256, "segments": len(old_segments), "codings": len(codings)}
    for segment in old_segments:
        segment.position = -1 - segment.position
    tx.session.flush()
    document.text = new_text
    document.sha256 = item.transcript.sha256
    document.encoding = item.transcript.encoding
    document.source_path = item.transcript.source_path
    _add_segments(tx, document, item.segments)
    new_segments = list(
        tx.session.scalars(
            select(Segment).where(Segment.document_id == document.id, Segment.position >= 0).order_by(Segment.position)
        )
    )
    kept_suggestions, dropped = _move_suggestions(tx, old_segments, new_segments, codings)
    for segment in old_segments:
        tx.session.delete(segment)
    tx.session.flush()
    tx.session.expire(document, ["segments"])
    kept = 0
    for coding in codings:
        quote = old_text[coding.start : coding.end]
        location = _nearest(new_text, quote, coding.start) if quote else None
        if location is None:
            tx.session.delete(coding)
            report.codings_dropped += 1
            continue
        coding.start, coding.end = location, location + len(quote)
        match = segment_at(new_segments, coding.start, coding.end)
        coding.segment_id = match.id if match else None
        kept += 1
    report.codings_kept += kept
    report.suggestions_kept += kept_suggestions
    for status, count in dropped.items():
        report.suggestions_dropped[status] = report.suggestions_dropped.get(status, 0) + count
    tx.audit(
        "document.replace",
        "document",
        document.id,
        before=before,
        after={
            "sha256": document.sha256,
            "segments": len(item.segments),
            "codings_kept": kept,
            "suggestions_kept": kept_suggestions,
            "suggestions_dropped": dropped,
        },
    )


def _move_suggestions(
    tx: Transaction, old_segments: list[Segment], new_segments: list[Segment], codings: list[Coding]
) -> tuple[int, dict[str, int]]:
    """Re-point suggestions to the new turn with the same text; drop the rest. Returns (kept, dropped by status)."""
    by_text: dict[str, list[Segment]] = {}
    for segment in new_segments:
        by_text.setdefault(segment.text, []).append(segment)
    old_ids = [s.id for s in old_segments]
    suggestions = list(tx.session.scalars(select(Suggestion).where(Suggestion.segment_id.in_(old_ids))))
    by_old: dict[int, list[Suggestion]] = {}
    for suggestion in suggestions:
        by_old.setdefault(suggestion.segment_id, []).append(suggestion)
    codings_of = {c.suggestion_id: c for c in codings if c.suggestion_id is not None}
    kept, dropped = 0, dict[str, int]()
    for old in old_segments:
        candidates = by_text.get(old.text, [])
        twin = min(candidates, key=lambda s: abs(s.start - old.start), default=None)
        for suggestion in by_old.get(old.id, []):
            if twin is not None:
                suggestion.segment_id = twin.id
                kept += 1
                continue
            dropped[suggestion.status] = dropped.get(suggestion.status, 0) + 1
            coding = codings_of.get(suggestion.id)
            if coding is not None:
                coding.suggestion_id = None
            tx.session.delete(suggestion)
    tx.session.flush()
    return kept, dropped


def _nearest(text: str, needle: str, near: int) -> int | None:
    """Index of the occurrence of ``needle`` closest to ``near``, or None."""
    best = None
    index = text.find(needle)
    while index >= 0:
        if best is None or abs(index - near) < abs(best - near):
            best = index
        index = text.find(needle, index + 1)
    return best


def import_transcripts(
    store: Store,
    prepared: list[_Prepared],
    *,
    replace: bool = False,
    actor: str = "system",
    language: str | None = None,
    attributes: tuple[str, AttributeTable] | None = None,
    detections: dict[str, list[Detection]] | None = None,
) -> ImportReport:
    """Write prepared transcripts (and optionally their attribute table) in one transaction.

    ``detections`` (document name -> identifiers found in its text) are stored with each new or replaced
    document (:func:`toolkit.corpus.identifiers.store_detections`); a document without detections is
    stored "not scanned". Replacing a document purges the embedding and lemma cache rows of its old text.
    ``language`` overrides each document's detected language; a language the project's embedding model
    was not trained on is reported in :attr:`ImportReport.warnings` with the command that fixes it.
    """
    report = ImportReport()
    detections = detections or {}
    with store.transaction(actor=actor) as tx:
        project = tx.project()
        for item in prepared:
            t = item.transcript
            report.languages[t.name] = language or item.language
            where = t.source_path or t.name
            existing = tx.session.scalar(
                select(Document).where(Document.project_id == project.id, Document.name == t.name)
            )
            if existing is not None and existing.sha256 == t.sha256:
                report.unchanged.append(t.name)
                continue
            if existing is not None:
                if not replace:
                    raise InputFileError(
                        f"a different version of document {t.name!r} is already in the store; "
                        "use --replace to update it (codings whose text is unchanged are kept)",
                        file=where,
                    )
                existing.language = report.languages[t.name]
                stale = derived_texts(tx.session, existing, views(tx.session, [existing.id])[existing.id])
                old_text = existing.text
                _replace_document(tx, existing, item, report)
                report.cache_rows_purged += purge_text_caches(tx.session, stale)
                carry_over_reviews(tx, existing, old_text)
                if t.name in detections:
                    report.identifiers[t.name] = store_detections(tx, existing, detections[t.name])["new"]
                else:
                    existing.deid_scanned_at = None
                report.replaced.append(t.name)
                report.segments += len(item.segments)
                continue
            document = Document(
                project_id=project.id,
                name=t.name,
                source_path=t.source_path,
                sha256=t.sha256,
                encoding=t.encoding,
                language=report.languages[t.name],
                text=t.text,
                attributes={},
            )
            tx.session.add(document)
            _add_segments(tx, document, item.segments)
            tx.session.flush()
            tx.audit(
                "document.import",
                "document",
                document.id,
                after={
                    "name": t.name,
                    "sha256": t.sha256,
                    "encoding": t.encoding,
                    "language": document.language,
                    "segments": len(item.segments),
                },
            )
            if t.name in detections:
                report.identifiers[t.name] = store_detections(tx, document, detections[t.name])["new"]
            report.imported.append(t.name)
            report.segments += len(item.segments)
        if attributes is not None:
            tx.session.flush()
            apply_attributes(tx, *attributes)
        _check_model_languages(tx, project, report)
    return report


def _check_model_languages(tx: Transaction, project: Project, report: ImportReport) -> None:
    """Warn about documents in a language the project's embedding model was not trained on, naming the fix."""
    languages = set(tx.session.scalars(select(Document.language).where(Document.project_id == project.id)))
    model, why = effective_embedding_model(project.embedding_model, languages)
    report.embedding_model = model
    known = model_languages(model)
    if known is None:
        return
    for lang in sorted(set(report.languages.values()) - known):
        names = sorted(name for name, value in report.languages.items() if value == lang)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        report.warnings.append(
            f"{shown}: {LANGUAGE_NAMES.get(lang, lang)} ({lang}), but the embedding model {model!r} ({why}) "
            f"was not trained on it, so suggestions will be poor; fix: `qda model set e5-small-multilingual` "
            "(or use-multilingual), or `qda model set auto` to choose by the documents' languages"
        )


def import_files(
    store: Store,
    sources: Sequence[str | Path | Transcript],
    *,
    replace: bool = False,
    overrides: RoleOverrides | None = None,
    nlp: Language | None = None,
    encoding: str | None = None,
    actor: str = "system",
    attributes: str | Path | None = None,
    deid: bool = True,
    detector: Detector | None = None,
    language: str | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Read, segment, de-identify and store transcripts; the one call a notebook or the CLI needs.

    With ``deid`` (the default) the identifiers of every new or changed document are detected before the
    transaction (``detector``, default: the installed spaCy NER plus patterns) and stored with it, so
    the document is never shown, exported or embedded with them; ``deid=False`` stores it "not scanned"
    (then run :func:`toolkit.corpus.identifiers.apply`). ``on_progress(step, done, total)`` reports each of
    the two per-document steps (:data:`READING`, then :data:`FINDING_IDENTIFIERS`) at its start and after each
    document: about 0.1 s per interview on two cores after the models' load, so a minute for several hundred.

    Example:
        >>> report = import_files(store, ["S01.txt", "S02.docx"])  # doctest: +SKIP
        >>> report.imported
        ['S01', 'S02']
    """
    table = read_attribute_table(attributes) if attributes is not None else None
    step = on_progress or (lambda name, done, total: None)
    prepared, warnings = prepare_transcripts(
        sources, overrides, nlp, encoding, language, on_progress=lambda done, total: step(READING, done, total)
    )
    found: dict[str, list[Detection]] | None = None
    if deid:
        with store.read() as session:
            known = dict(session.execute(select(Document.name, Document.sha256)).all())
        changed = [p for p in prepared if known.get(p.transcript.name) != p.transcript.sha256]
        texts = [p.transcript.text for p in changed]
        detector = detector or Detector()
        found = dict(
            zip(
                [p.transcript.name for p in changed],
                detector.detect_many(
                    texts,
                    [p.language for p in changed],
                    on_progress=lambda done, total: step(FINDING_IDENTIFIERS, done, total),
                ),
                strict=True,
            )
        )
        warnings.extend(getattr(detector, "warnings", []))
    report = import_transcripts(store, prepared, replace=replace, actor=actor, attributes=table, detections=found)
    report.warnings[:0] = warnings
    if report.replaced:
        store.scrub(vacuum=False)  # the old text's page images leave the WAL
    return report
