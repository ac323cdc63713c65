"""Identifiers in the store: detect, pseudonymise, review, and read documents de-identified.

* :func:`scan` runs the detector and returns what it finds (nothing is stored): the rows of
  ``qda deid scan``. :func:`apply` stores the detections and gives every entity its project-wide
  pseudonym (``[PERSON_3]``, kept in the ``pseudonyms`` table, apart from the text); an import does the
  same for each new or replaced document.
* Reviewers :func:`review` (confirm / reject) detections, :func:`add` what the detector missed, and
  :func:`mark_reviewed` a document ("de-identification reviewed"). A rejected detection stays rejected
  when the detector runs again.
* Readers call :func:`views` (or :func:`document_view`) and show ``view.slice(start, end)`` instead of
  ``text[start:end]``: codings exports, reports, dashboard quotes and transcripts, the review queue and
  the text the embedding model sees. The original text is only read with ``raw=True``, which is audited
  (:func:`audit_raw_access`).

Why the text is not stored twice: the de-identified text is a function of the original and the identifier
spans, and every offset in the store points into the original. Storing a second text would need a second
set of offsets or a map kept in step with every review decision; making the view when it is read
(:mod:`toolkit.corpus.redaction`) keeps one source of truth and is cheap (a few dozen spans a document).

Whenever a document's view changes (a detection run, a review decision, a replaced text), the embedding
and lemma cache rows of its old texts are deleted in the same transaction (:func:`purge_text_caches`), so
the cache never keeps a name the view no longer shows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from toolkit.corpus.deid import PSEUDONYM_PREFIX, TYPES, Detection, Detector, normalise_key
from toolkit.corpus.redaction import RedactedText, Replacement, redact
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import (
    Document,
    EmbeddingCache,
    Identifier,
    LemmaCache,
    Memo,
    Project,
    Pseudonym,
    Segment,
    Sentence,
    Suggestion,
    utcnow,
)

__all__ = [
    "DocumentView",
    "KnownIdentifiers",
    "add",
    "apply",
    "audit_raw_access",
    "deid_status",
    "document_view",
    "identifier_rows",
    "known_identifiers",
    "mapping_rows",
    "mark_reviewed",
    "memo_identifiers",
    "purge_text_caches",
    "redact_known",
    "redact_known_in",
    "register_memo_identifiers",
    "review",
    "scan",
    "scrub_explanations",
    "store_detections",
    "views",
]

ACTIVE = ("proposed", "confirmed")
"""Statuses whose spans the de-identified view replaces."""


@dataclass
class DocumentView:
    """A document as readers see it: identifiers replaced (or, with ``raw``, the original text)."""

    name: str
    original: str
    replacements: list[Replacement] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """Surface text of a person found in the document -> pseudonym, for speaker labels."""
    raw: bool = False
    reviewed: bool = False
    """A reviewer has marked the document "de-identification reviewed"."""

    @property
    def text(self) -> str:
        """The whole document as readers see it."""
        return self.slice(0, len(self.original))

    def slice(self, start: int, end: int) -> str:
        """The de-identified text of ``[start, end)`` (the original with ``raw``)."""
        if self.raw or not self.replacements:
            return self.original[start:end]
        return redact(self.original[start:end], self.replacements, base=start).text

    def segment(self, start: int, end: int) -> RedactedText:
        """The view of ``[start, end)`` with its offset map (for highlighting coded spans)."""
        return redact(self.original[start:end], [] if self.raw else self.replacements, base=start)

    def speaker(self, label: str) -> str:
        """A speaker label, replaced by its pseudonym when it names a person found in the document."""
        if self.raw or not label:
            return label
        return self.labels.get(label.strip().lower(), label)


def _project(session: Session) -> Project:
    project = session.scalar(select(Project).order_by(Project.id))
    if project is None:
        raise ToolkitError("the store has no project; run `qda init`")
    return project


def _documents(session: Session, names: Sequence[str] | None) -> list[Document]:
    query = select(Document).order_by(Document.name)
    if names:
        query = query.where(Document.name.in_(list(names)))
    found = list(session.scalars(query))
    missing = sorted(set(names or ()) - {d.name for d in found})
    if missing:
        raise NotFoundError(f"unknown documents: {', '.join(missing)}")
    return found


def views(session: Session, document_ids: Iterable[int] | None = None, *, raw: bool = False) -> dict[int, DocumentView]:
    """Document id -> :class:`DocumentView`, for the given documents (all when None)."""
    query = select(Document.id, Document.name, Document.text, Document.deid_reviewed)
    ids = None if document_ids is None else sorted(set(document_ids))
    if ids is not None:
        query = query.where(Document.id.in_(ids))
    out = {
        doc_id: DocumentView(name, text, raw=raw, reviewed=bool(reviewed))
        for doc_id, name, text, reviewed in session.execute(query)
    }
    if raw or not out:
        return out
    spans = select(Identifier.document_id, Identifier.start, Identifier.end, Identifier.type, Pseudonym.label).join(
        Pseudonym, Identifier.pseudonym_id == Pseudonym.id
    )
    spans = spans.where(Identifier.status.in_(ACTIVE))
    if ids is not None:
        spans = spans.where(Identifier.document_id.in_(ids))
    for doc_id, start, end, type_, label in session.execute(spans):
        view = out.get(doc_id)
        if view is None:
            continue
        view.replacements.append(Replacement(start, end, label))
        if type_ == "person":
            view.labels.setdefault(view.original[start:end].strip().lower(), label)
    return out


def document_view(store: Store, name: str, *, raw: bool = False, actor: str = "system") -> DocumentView:
    """One document's view; ``raw=True`` shows the original text and records that in the audit trail."""
    with store.read() as session:
        doc_id = session.scalar(select(Document.id).where(Document.name == name))
        if doc_id is None:
            raise NotFoundError(f"no document {name!r}")
        view = views(session, [doc_id], raw=raw)[doc_id]
    if raw:
        audit_raw_access(store, [name], actor, "document view")
    return view


class KnownIdentifiers(dict[str, str]):
    """Surface text (lower-cased) -> pseudonym, with its matching regex built once.

    An audit trail or a memo export redacts thousands of strings with one set of identifiers; building and
    sorting the alternation per string cost 0.4 ms each (5,000 payloads: 1.97 s on the demo's 156).
    """

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Every surface as whole words, any spacing, the longest first ("Dmitry Savchuk" before "Dmitry")."""
        surfaces = sorted(self, key=len, reverse=True)
        pattern = "|".join(r"\s+".join(map(re.escape, surface.split())) for surface in surfaces)
        return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


def known_identifiers(session: Session, *, memos: bool = True, detector: Detector | None = None) -> KnownIdentifiers:
    """Every identifier's surface text in the project (lower-cased) -> its pseudonym, for free text.

    Memos and explanations are written by people and models, not imported, so they have no identifier
    spans of their own; :func:`redact_known` replaces in them whatever was found in a transcript and,
    with ``memos`` (the default), whatever the detector finds in any memo (:func:`memo_identifiers`): a
    coder's "Talked to Olga's sister" hides Olga though no transcript recorded her.
    """
    known = _transcript_identifiers(session)
    if memos:
        for surface, label in memo_identifiers(session, detector).items():
            known.setdefault(surface, label)
    return known


def _transcript_identifiers(session: Session) -> KnownIdentifiers:
    """Surfaces of the identifiers recorded in transcripts (proposed or confirmed) -> pseudonym."""
    rows = session.execute(
        select(Document.text, Identifier.start, Identifier.end, Pseudonym.label)
        .join(Identifier, Identifier.document_id == Document.id)
        .join(Pseudonym, Identifier.pseudonym_id == Pseudonym.id)
        .where(Identifier.status.in_(ACTIVE))
    )
    known = KnownIdentifiers()
    for text, start, end, label in rows:
        surface = " ".join(text[start:end].split()).lower()
        if len(surface) >= 2:
            known.setdefault(surface, label)
    return known


# ----------------------------------------------------------------------------------------------- memos

_MEMO_CACHE: dict[tuple[str, str], tuple[Detection, ...]] = {}
_MEMO_CACHE_SIZE = 5_000


@lru_cache(maxsize=1)
def _default_memo_detector() -> Detector:
    """The import's detector; without the spaCy pipeline, its patterns, gazetteer and cues alone."""
    detector = Detector()
    try:
        detector.nlp
    except ToolkitError:
        import spacy

        detector = Detector(nlp=spacy.blank("en"))
    return detector


def _memo_detections(texts: Sequence[str], detector: Detector | None) -> list[tuple[Detection, ...]]:
    """The detector's findings in each memo text, remembered per text (memos are read far more than written)."""
    detector = detector or _default_memo_detector()
    tag = f"{type(detector).__name__}:{id(detector)}"
    todo = sorted({t for t in texts if (tag, t) not in _MEMO_CACHE})
    if todo:
        if len(_MEMO_CACHE) + len(todo) > _MEMO_CACHE_SIZE:
            _MEMO_CACHE.clear()
        for text, found in zip(todo, detector.detect_many(todo), strict=True):
            _MEMO_CACHE[(tag, text)] = tuple(found)
    return [_MEMO_CACHE[(tag, t)] for t in texts]


def _memo_entities(texts: Sequence[str], detector: Detector | None) -> list[tuple[str, str, str]]:
    """``(surface, type, key)`` of every identifier the detector finds in the memo texts.

    The texts not seen before run as one batch, so a name found in one memo is looked for in the others.
    """
    out = []
    for found in _memo_detections(texts, detector):
        for detection, key in zip(found, _entity_keys(list(found)), strict=True):
            surface = " ".join(detection.text.split()).lower()
            if len(surface) >= 2:
                out.append((surface, detection.type, key))
    return out


def memo_identifiers(session: Session, detector: Detector | None = None) -> KnownIdentifiers:
    """Surfaces the detector finds in the project's memos (lower-cased) -> their pseudonyms.

    Memos are scanned when written (:func:`register_memo_identifiers` adds their entities to the
    project's pseudonym mapping) and again when read, since a surface needs its text. An entity whose
    pseudonym is not in the mapping yet (a memo written before this scan existed; run ``qda deid apply``)
    shows as its type alone (``[PERSON]``): never as the name.
    """
    texts = list(session.scalars(select(Memo.text).order_by(Memo.id)))
    if not texts:
        return KnownIdentifiers()
    labels = {(p.type, p.key): p.label for p in session.scalars(select(Pseudonym))}
    known = KnownIdentifiers()
    for surface, type_, key in _memo_entities(texts, detector):
        known.setdefault(surface, labels.get((type_, _key_column(key)), f"[{PSEUDONYM_PREFIX[type_]}]"))
    return known


def register_memo_identifiers(
    tx: Transaction, texts: Sequence[str] | None = None, detector: Detector | None = None
) -> int:
    """Give every entity the detector finds in memos (these ``texts``, else all) its project pseudonym.

    Called when a memo is written or edited and by :func:`apply`; returns the pseudonyms created.
    """
    session = tx.session
    if texts is None:
        texts = list(session.scalars(select(Memo.text).order_by(Memo.id)))
    if not texts:
        return 0
    pseudonyms = _Pseudonyms(session, tx.project())
    before = len(pseudonyms.by_key)
    for _surface, type_, key in _memo_entities(texts, detector):
        pseudonyms.get(type_, key)
    session.flush()
    return len(pseudonyms.by_key) - before


def redact_known(text: str, known: dict[str, str]) -> str:
    """``text`` with every known identifier (whole words, any case, any spacing) replaced by its pseudonym.

    Example:
        >>> redact_known("Met DMITRY  Savchuk today", {"dmitry savchuk": "[PERSON_1]"})
        'Met [PERSON_1] today'
    """
    if not text or not known:
        return text
    regex = (known if isinstance(known, KnownIdentifiers) else KnownIdentifiers(known)).regex
    return regex.sub(lambda m: known.get(" ".join(m.group(0).split()).lower(), m.group(0)), text)


def redact_known_in(value: Any, known: dict[str, str]) -> Any:
    """:func:`redact_known` over every string inside ``value`` (nested lists and dicts, e.g. a JSON payload)."""
    if isinstance(value, str):
        return redact_known(value, known)
    if isinstance(value, list):
        return [redact_known_in(v, known) for v in value]
    if isinstance(value, dict):
        return {k: redact_known_in(v, known) for k, v in value.items()}
    return value


def audit_raw_access(store: Store, documents: Sequence[str], actor: str, purpose: str) -> None:
    """Record that someone read original (not de-identified) text: who, which documents, what for."""
    with store.transaction(actor=actor) as tx:
        tx.audit(
            "text.raw", "document", ",".join(documents)[:200], after={"purpose": purpose, "documents": len(documents)}
        )


# ----------------------------------------------------------------------------------------------- caches


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derived_texts(session: Session, document: Document, view: DocumentView | None) -> set[str]:
    """Every text the embedding and lemma caches may hold for this document: turns and sentences, raw and viewed."""
    texts: set[str] = set()
    segments = session.execute(
        select(Segment.id, Segment.start, Segment.end).where(Segment.document_id == document.id)
    ).all()
    sentences = session.execute(
        select(Sentence.start, Sentence.end)
        .join(Segment, Sentence.segment_id == Segment.id)
        .where(Segment.document_id == document.id)
    ).all()
    for _id, start, end in segments:
        texts.add(document.text[start:end])
        if view is not None:
            texts.add(view.slice(start, end))
    for start, end in sentences:
        texts.add(document.text[start:end])
        if view is not None:
            texts.add(view.slice(start, end))
    texts.discard("")
    return texts


def purge_text_caches(session: Session, texts: Iterable[str]) -> int:
    """Delete the embedding and lemma cache rows of these texts (any model); returns rows deleted."""
    hashes = sorted({_hash(t) for t in texts})
    deleted = 0
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        for table in (EmbeddingCache, LemmaCache):
            result = session.execute(delete(table).where(table.text_sha256.in_(chunk)))
            deleted += result.rowcount or 0
    return deleted


def scrub_explanations(session: Session, document: Document) -> int:
    """Replace the document's identifiers inside stored suggestion explanations by their pseudonyms.

    Explanations quote turns (the sentence that carried a code, similar coded turns) as the model saw
    them; a suggestion made before an identifier was found still quotes it. Returns explanations changed.
    """
    if not session.scalar(select(func.count()).select_from(Suggestion)):
        return 0
    view = views(session, [document.id])[document.id]
    surfaces = {view.original[r.start : r.end]: r.label for r in view.replacements}
    surfaces = {k: v for k, v in surfaces.items() if k.strip()}
    if not surfaces:
        return 0
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(k)}(?!\w)" for k in sorted(surfaces, key=len, reverse=True)))
    changed = 0
    for suggestion in session.scalars(select(Suggestion)):
        text = json.dumps(suggestion.explanation or {}, ensure_ascii=False)
        new = pattern.sub(lambda m: surfaces[m.group()], text)
        if new != text:
            suggestion.explanation = json.loads(new)
            changed += 1
    return changed


# ------------------------------------------------------------------------------------------- detecting


def _entity_keys(detections: Sequence[Detection]) -> list[str]:
    """The normalised key of each detection; a lone part of a full name in the document takes its key."""
    keys = [normalise_key(d.type, d.text) for d in detections]
    full_names = {k for d, k in zip(detections, keys, strict=True) if d.type == "person" and " " in k}
    parts: dict[str, set[str]] = defaultdict(set)
    for name in full_names:
        for word in name.split():
            parts[word].add(name)
    for i, (detection, key) in enumerate(zip(detections, keys, strict=True)):
        if detection.type == "person" and " " not in key and len(parts.get(key, ())) == 1:
            keys[i] = next(iter(parts[key]))
    return keys


def _key_column(key: str) -> str:
    """Keys longer than the column keep their start and a digest of the whole."""
    return key if len(key) <= 500 else f"{key[:430]}#{_hash(key)}"


class _Pseudonyms:
    """Pseudonyms of a project: the existing ones, and new ones numbered after the last of their type."""

    def __init__(self, session: Session, project: Project, *, dry_run: bool = False) -> None:
        self.session = session
        self.project = project
        self.dry_run = dry_run
        rows = session.scalars(select(Pseudonym).where(Pseudonym.project_id == project.id))
        self.by_key: dict[tuple[str, str], Pseudonym] = {(p.type, p.key): p for p in rows}
        self.next_number: dict[str, int] = defaultdict(lambda: 1)
        for pseudonym in self.by_key.values():
            self.next_number[pseudonym.type] = max(self.next_number[pseudonym.type], pseudonym.number + 1)

    def get(self, type_: str, key: str) -> Pseudonym:
        key = _key_column(key)
        found = self.by_key.get((type_, key))
        if found is None:
            number = self.next_number[type_]
            self.next_number[type_] = number + 1
            found = Pseudonym(
                project_id=self.project.id,
                type=type_,
                key=key,
                number=number,
                label=f"[{PSEUDONYM_PREFIX[type_]}_{number}]",
            )
            if not self.dry_run:
                self.session.add(found)
            self.by_key[(type_, key)] = found
        return found


def _detect(
    detector: Detector | None,
    texts: Sequence[str],
    languages: Sequence[str | None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[list[Detection]]:
    """Each text's detections, by the recogniser of its language (Russian and Belarusian: natasha + cues)."""
    return (detector or Detector()).detect_many(texts, languages, on_progress=on_progress)


def scan(
    store: Store,
    documents: Sequence[str] | None = None,
    detector: Detector | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the detector over documents and return its detections; nothing is stored.

    Each row: document, start, end, text, type, source, score and the pseudonym it has (or would get).
    ``on_progress(done, total)``: at the start and after each document (:meth:`Detector.detect_many`).
    """
    with store.read() as session:
        project = _project(session)
        docs = _documents(session, documents)
        names_texts = [(d.name, d.text) for d in docs]
        pseudonyms = _Pseudonyms(session, project, dry_run=True)
        found = _detect(detector, [text for _, text in names_texts], [d.language for d in docs], on_progress)
        rows = []
        for (name, _text), detections in zip(names_texts, found, strict=True):
            for detection, key in zip(detections, _entity_keys(detections), strict=True):
                rows.append(
                    {
                        "document": name,
                        "start": detection.start,
                        "end": detection.end,
                        "text": detection.text,
                        "type": detection.type,
                        "pseudonym": pseudonyms.get(detection.type, key).label,
                        "source": detection.source,
                        "score": round(detection.score, 3),
                    }
                )
    return rows


def store_detections(tx: Transaction, document: Document, detections: Sequence[Detection]) -> dict[str, int]:
    """Replace a document's proposed identifiers by ``detections``, keeping reviewers' decisions.

    Confirmed, rejected and reviewer-added spans stay; a new detection overlapping one of them is dropped
    (a rejection holds against the same detection next time). Purges the caches of the document's old
    view. Returns counts by status of what the document now has.
    """
    session = tx.session
    session.flush()
    project = tx.project()
    stale = derived_texts(session, document, views(session, [document.id])[document.id])
    session.execute(delete(Identifier).where(Identifier.document_id == document.id, Identifier.status == "proposed"))
    kept = list(session.scalars(select(Identifier).where(Identifier.document_id == document.id)))
    pseudonyms = _Pseudonyms(session, project)
    added = 0
    for detection, key in zip(detections, _entity_keys(detections), strict=True):
        if any(detection.start < k.end and k.start < detection.end for k in kept):
            continue
        pseudonym = pseudonyms.get(detection.type, key)
        session.flush()
        session.add(
            Identifier(
                document_id=document.id,
                pseudonym_id=pseudonym.id,
                start=detection.start,
                end=detection.end,
                type=detection.type,
                source=detection.source,
                status="proposed",
                score=detection.score,
            )
        )
        added += 1
    document.deid_scanned_at = utcnow()
    session.flush()
    if stale:
        purge_text_caches(session, stale)
    scrub_explanations(session, document)
    counts = dict(
        session.execute(
            select(Identifier.status, func.count())
            .where(Identifier.document_id == document.id)
            .group_by(Identifier.status)
        ).all()
    )
    counts["new"] = added
    return counts


def apply(
    store: Store,
    documents: Sequence[str] | None = None,
    detector: Detector | None = None,
    actor: str = "system",
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Detect and store identifiers of documents (all by default) in one transaction; audited (counts only).

    Returns document -> counts by status. Running it again keeps reviewers' decisions. ``on_progress(done,
    total)``: at the start and after each document's detection (before anything is stored).
    """
    with store.read() as session:
        docs = _documents(session, documents)
        texts = [(d.name, d.text) for d in docs]
        languages = [d.language for d in docs]
    found = _detect(detector, [t for _, t in texts], languages, on_progress)
    out: dict[str, dict[str, int]] = {}
    with store.transaction(actor=actor) as tx:
        for (name, _text), detections in zip(texts, found, strict=True):
            document = tx.session.scalar(select(Document).where(Document.name == name))
            if document is None:  # removed meanwhile
                continue
            counts = store_detections(tx, document, detections)
            out[name] = counts
            tx.audit("deid.apply", "document", document.id, after={"identifiers": counts})
        if documents is None:  # the whole project: its memos too
            register_memo_identifiers(tx, detector=detector)
    return out


def carry_over_reviews(tx: Transaction, document: Document, old_text: str) -> int:
    """After a document's text was replaced: move reviewers' decisions to where their text now is.

    Proposed detections go (the detector runs on the new text); a confirmed, rejected or added span whose
    text is still in the document moves there, otherwise it goes. The document is no longer reviewed.
    """
    moved = 0
    for identifier in list(tx.session.scalars(select(Identifier).where(Identifier.document_id == document.id))):
        quote = old_text[identifier.start : identifier.end]
        index = _nearest(document.text, quote, identifier.start) if identifier.status != "proposed" and quote else None
        if index is None:
            tx.session.delete(identifier)
            continue
        identifier.start, identifier.end = index, index + len(quote)
        moved += 1
    document.deid_reviewed = False
    tx.session.flush()
    return moved


def _nearest(text: str, needle: str, near: int) -> int | None:
    best = None
    for match in re.finditer(re.escape(needle), text):
        if best is None or abs(match.start() - near) < abs(best - near):
            best = match.start()
    return best


# ------------------------------------------------------------------------------------------- reviewing


def _identifier(session: Session, identifier_id: int) -> Identifier:
    found = session.get(Identifier, identifier_id)
    if found is None:
        raise NotFoundError(f"no identifier {identifier_id} (see `qda deid list`)")
    return found


def review(store: Store, identifier_id: int, decision: str, reviewer: str) -> str:
    """Confirm or reject a detection; returns its new status. Audited (ids and type, never the text)."""
    status = {"confirm": "confirmed", "reject": "rejected"}.get(decision)
    if status is None:
        raise ToolkitError(f"unknown decision {decision!r}; use confirm or reject")
    with store.transaction(actor=reviewer) as tx:
        identifier = _identifier(tx.session, identifier_id)
        document = tx.session.get(Document, identifier.document_id)
        old_view = views(tx.session, [document.id])[document.id]
        before = {"status": identifier.status}
        identifier.status = status
        identifier.reviewer = reviewer
        identifier.reviewed_at = utcnow()
        tx.session.flush()
        purge_text_caches(tx.session, derived_texts(tx.session, document, old_view))
        tx.audit(
            f"deid.{decision}",
            "identifier",
            identifier_id,
            before=before,
            after={"status": status, "type": identifier.type, "document_id": document.id},
        )
    return status


def add(
    store: Store,
    document: str,
    type_: str,
    reviewer: str,
    *,
    start: int | None = None,
    end: int | None = None,
    text: str | None = None,
) -> list[int]:
    """Add identifiers the detector missed: one span, or every whole-word occurrence of ``text``.

    Returns the new identifier ids. The pseudonym is the entity's (the same text elsewhere in the project
    gets the same one).
    """
    if type_ not in TYPES:
        raise ToolkitError(f"unknown identifier type {type_!r}; use one of {', '.join(TYPES)}")
    with store.transaction(actor=reviewer) as tx:
        doc = tx.session.scalar(select(Document).where(Document.name == document))
        if doc is None:
            raise NotFoundError(f"no document {document!r}")
        if text is not None:
            spans = [(m.start(), m.end()) for m in re.finditer(rf"(?<!\w){re.escape(text.strip())}(?!\w)", doc.text)]
            if not text.strip() or not spans:
                raise NotFoundError(f"the text is not in document {document!r}")
        elif start is not None and end is not None and 0 <= start < end <= len(doc.text):
            spans = [(start, end)]
        else:
            raise ToolkitError(f"give the text or a span inside the document (0-{len(doc.text)})")
        old_view = views(tx.session, [doc.id])[doc.id]
        pseudonyms = _Pseudonyms(tx.session, tx.project())
        ids = []
        for s, e in spans:
            overlapping = list(
                tx.session.scalars(
                    select(Identifier).where(Identifier.document_id == doc.id, Identifier.start < e, Identifier.end > s)
                )
            )
            for other in overlapping:  # the reviewer's span replaces what it overlaps
                tx.session.delete(other)
            pseudonym = pseudonyms.get(type_, normalise_key(type_, doc.text[s:e]))
            tx.session.flush()
            identifier = Identifier(
                document_id=doc.id,
                pseudonym_id=pseudonym.id,
                start=s,
                end=e,
                type=type_,
                source="reviewer",
                status="confirmed",
                score=1.0,
                reviewer=reviewer,
                reviewed_at=utcnow(),
            )
            tx.session.add(identifier)
            tx.session.flush()
            ids.append(identifier.id)
        purge_text_caches(tx.session, derived_texts(tx.session, doc, old_view))
        scrub_explanations(tx.session, doc)
        tx.audit("deid.add", "document", doc.id, after={"identifiers": ids, "type": type_})
    return ids


def mark_reviewed(store: Store, document: str, reviewer: str, reviewed: bool = True) -> None:
    """Set (or clear) a document's "de-identification reviewed" flag; audited."""
    with store.transaction(actor=reviewer) as tx:
        doc = tx.session.scalar(select(Document).where(Document.name == document))
        if doc is None:
            raise NotFoundError(f"no document {document!r}")
        if reviewed and doc.deid_scanned_at is None:
            raise ToolkitError(f"document {document!r} was never scanned; run `qda deid apply --documents {document}`")
        before = {"reviewed": doc.deid_reviewed}
        doc.deid_reviewed = reviewed
        tx.audit("deid.reviewed", "document", doc.id, before=before, after={"reviewed": reviewed})


# --------------------------------------------------------------------------------------------- reading


def identifier_rows(
    store: Store, documents: Sequence[str] | None = None, status: str | None = None, *, with_text: bool = True
) -> list[dict[str, Any]]:
    """Stored identifiers: id, document, start, end, text, type, pseudonym, source, status, reviewer."""
    with store.read() as session:
        docs = {d.id: d for d in _documents(session, documents)}
        query = (
            select(Identifier, Pseudonym.label)
            .join(Pseudonym, Identifier.pseudonym_id == Pseudonym.id)
            .where(Identifier.document_id.in_(list(docs)))
            .order_by(Identifier.document_id, Identifier.start)
        )
        if status:
            query = query.where(Identifier.status == status)
        rows = []
        for identifier, label in session.execute(query):
            doc = docs[identifier.document_id]
            rows.append(
                {
                    "id": identifier.id,
                    "document": doc.name,
                    "start": identifier.start,
                    "end": identifier.end,
                    **({"text": doc.text[identifier.start : identifier.end]} if with_text else {}),
                    "type": identifier.type,
                    "pseudonym": label,
                    "source": identifier.source,
                    "status": identifier.status,
                    "reviewer": identifier.reviewer,
                }
            )
    rows.sort(key=lambda r: (r["document"], r["start"]))
    return rows


def mapping_rows(store: Store, actor: str) -> list[dict[str, Any]]:
    """The pseudonym table (pseudonym -> type, key, documents): who reads it is audited."""
    with store.read() as session:
        uses = dict(
            session.execute(
                select(Identifier.pseudonym_id, func.count(func.distinct(Identifier.document_id))).group_by(
                    Identifier.pseudonym_id
                )
            ).all()
        )
        rows = [
            {"pseudonym": p.label, "type": p.type, "key": p.key, "documents": uses.get(p.id, 0)}
            for p in session.scalars(select(Pseudonym).order_by(Pseudonym.type, Pseudonym.number))
        ]
    with store.transaction(actor=actor) as tx:
        tx.audit("deid.mapping.read", "pseudonyms", "", after={"rows": len(rows)})
    return rows


def deid_status(store: Store) -> list[dict[str, Any]]:
    """Per document: scanned or not, reviewed or not, identifiers by status."""
    with store.read() as session:
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for doc_id, status, n in session.execute(
            select(Identifier.document_id, Identifier.status, func.count()).group_by(
                Identifier.document_id, Identifier.status
            )
        ):
            counts[doc_id][status] = n
        return [
            {
                "document": d.name,
                "scanned": d.deid_scanned_at is not None,
                "reviewed": d.deid_reviewed,
                **{status: counts[d.id].get(status, 0) for status in ("proposed", "confirmed", "rejected")},
            }
            for d in session.scalars(select(Document).order_by(Document.name))
        ]
