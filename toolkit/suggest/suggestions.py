"""Suggestions in a store: build what the model needs from segments and codings, fit, score, store.

The one call is :func:`suggest`. Training labels come from people's codings: a document a coder has
coded is taken as coded throughout (a respondent turn without that coder's code X is a negative for X),
accepted suggestions are codings like any other, and rejected suggestions are negatives for their code
wherever they occur. Suggestions are made for respondent turns only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from toolkit import __version__
from toolkit.coding.on_turn import codes_on_turns
from toolkit.corpus.identifiers import views
from toolkit.errors import NotFoundError
from toolkit.store.engine import Store
from toolkit.store.limits import fit_length
from toolkit.store.models import (
    MODEL_CODER,
    ROLE_INTERVIEWER,
    ROLE_RESPONDENT,
    Code,
    Codebook,
    Coder,
    Coding,
    Document,
    Review,
    Segment,
    Suggestion,
)
from toolkit.suggest.caches import cached_embeddings, cached_lemmas, embedder_key
from toolkit.suggest.embed import Embedder, default_model_cache, select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodebookPrototypes, CodeSuggester, SegmentBatch, SuggestConfig
from toolkit.suggest.lemmas import Lemmatizer, select_lemmatizer
from toolkit.suggest.model_choice import lemmatizer_for, project_embedding_model, project_languages
from toolkit.suggest.perspective import in_first_person
from toolkit.suggest.questions import account_rows

__all__ = [
    "SUGGESTING",
    "Corpus",
    "SuggestReport",
    "build_prototypes",
    "documents_without_suggestions",
    "label_matrix",
    "load_corpus",
    "review_queue",
    "suggest",
    "suggestion_rows",
]

SUGGESTING = "suggesting codes (per cent)"
"""The label of a per-cent bar fed by :func:`suggest`'s ``on_progress`` (the CLI's and the demo's)."""


@dataclass
class Corpus:
    """Respondent turns of a store, row-aligned with a :class:`SegmentBatch`."""

    segment_ids: list[int]
    documents: list[str]
    positions: list[int]
    starts: list[int]
    ends: list[int]
    batch: SegmentBatch
    embedded: int = 0

    def rows_of(self, documents: Sequence[str]) -> np.ndarray:
        """Row indices of the given documents."""
        wanted = set(documents)
        return np.array([i for i, d in enumerate(self.documents) if d in wanted], dtype=int)


@dataclass
class SuggestReport:
    """What a suggest run did, with timings a researcher can compare between runs."""

    segments_scored: int = 0
    suggestions: int = 0
    few_shot_codes: list[str] = field(default_factory=list)
    zero_shot_codes: list[str] = field(default_factory=list)
    labelled_segments: int = 0
    already_coded: int = 0  # suggestions left out because a person had already applied that code to the turn
    newly_embedded: int = 0
    model_name: str = ""
    model_version: str = ""
    # scored interviews unlike every coded one: their suggestions are the codebook's unless the model rejects them
    unfamiliar_documents: list[str] = field(default_factory=list)
    # the weight of the codebook's evidence in the learnt classifiers' features, chosen on the coded interviews
    # (toolkit.suggest.evidence_weight); None when no code has a classifier
    evidence_weight: float | None = None
    # how far a code's probability on one answer raises it on the next, where that one names no code of its own
    # (toolkit.suggest.carry); None when the coded interviews did not show that topics carry
    carry_weight: float | None = None

    def unfamiliar_note(self) -> str:
        """One sentence for the reviewer about the unfamiliar interviews ("" when there are none)."""
        if not self.unfamiliar_documents:
            return ""
        n = len(self.unfamiliar_documents)
        names = ", ".join(self.unfamiliar_documents[:10]) + (" ..." if n > 10 else "")
        which = "1 interview is" if n == 1 else f"{n} interviews are"
        return (
            f"{which} unlike the coded ones ({names}): there the codebook's own suggestions are kept unless the "
            "trained model rejects them; coding one of them teaches the model their wording."
        )


def load_corpus(
    store: Store,
    embedder: Embedder,
    lemmatizer: Lemmatizer,
    documents: Sequence[str] | None = None,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> Corpus:
    """Respondent turns with the question before each, their sentences, embeddings and lemmas."""
    with store.read() as session:
        query = (
            select(Document)
            .order_by(Document.name)
            .options(selectinload(Document.segments).selectinload(Segment.sentences))
        )
        if documents:
            query = query.where(Document.name.in_(list(documents)))
        docs = list(session.scalars(query))
        # The model sees the de-identified text: no name enters the embeddings, lemmas or explanations.
        shown = views(session, [d.id for d in docs])
        seg_ids, names, positions, starts, ends = [], [], [], [], []
        texts, questions, sentences = [], [], []
        for document in docs:
            question = ""
            view = shown[document.id]
            for segment in document.segments:
                if segment.role == ROLE_INTERVIEWER:
                    question = view.slice(segment.start, segment.end)
                elif segment.role == ROLE_RESPONDENT:
                    seg_ids.append(segment.id)
                    names.append(document.name)
                    positions.append(segment.position)
                    starts.append(segment.start)
                    ends.append(segment.end)
                    texts.append(view.slice(segment.start, segment.end))
                    questions.append(question)
                    sentences.append([view.slice(s.start, s.end) for s in segment.sentences])
    flat = [s for group in sentences for s in group]
    all_vecs, embedded = cached_embeddings(
        store, embedder, [*texts, *questions, *flat], progress=progress, on_progress=on_progress
    )
    dim = all_vecs.shape[1] if len(all_vecs) else 1
    turn_vecs = all_vecs[: len(texts)].reshape(len(texts), dim)
    question_vecs = all_vecs[len(texts) : 2 * len(texts)].reshape(len(texts), dim)
    sentence_vecs, offset = [], 2 * len(texts)
    for group in sentences:
        sentence_vecs.append(all_vecs[offset : offset + len(group)])
        offset += len(group)
    lemmas = cached_lemmas(store, lemmatizer, [*texts, *questions, *flat])
    sentence_lemmas, offset = [], 2 * len(texts)
    for group in sentences:
        sentence_lemmas.append(lemmas[offset : offset + len(group)])
        offset += len(group)
    question_lemmas = lemmas[len(texts) : 2 * len(texts)]
    accounts = set(account_rows(names, question_lemmas))  # a statement, behind a generic prompt or none
    retold, embedded_retold = _retold_in_first_person(store, embedder, lemmatizer, texts, sentences, sorted(accounts))
    for row, (vec, vecs, lemma, parts) in retold.items():  # a story told about the person, read as their own
        turn_vecs[row], sentence_vecs[row], lemmas[row], sentence_lemmas[row] = vec, vecs, lemma, parts
    batch = SegmentBatch(
        texts=texts,
        questions=questions,
        turn_vecs=turn_vecs,
        question_vecs=question_vecs,
        sentence_vecs=sentence_vecs,
        sentence_texts=sentences,
        lemmas=lemmas[: len(texts)],
        question_lemmas=question_lemmas,
        sentence_lemmas=sentence_lemmas,
        accounts=[row in accounts for row in range(len(texts))],
        documents=list(names),
    )
    return Corpus(seg_ids, names, positions, starts, ends, batch, embedded + embedded_retold)


def _retold_in_first_person(
    store: Store,
    embedder: Embedder,
    lemmatizer: Lemmatizer,
    texts: Sequence[str],
    sentences: Sequence[Sequence[str]],
    rows: Sequence[int],
) -> tuple[dict[int, tuple[np.ndarray, np.ndarray, str, list[str]]], int]:
    """Accounts told in the third person: the vectors and lemmas of their first-person retelling.

    Also how many texts were embedded for it (:mod:`toolkit.suggest.perspective`; the text people see is not
    changed).
    """
    retold = {row: told for row in rows if (told := in_first_person(texts[row], sentences[row])) is not None}
    if not retold:
        return {}, 0
    flat = [t for text, parts in retold.values() for t in (text, *parts)]
    vecs, embedded = cached_embeddings(store, embedder, flat)
    lemmas = cached_lemmas(store, lemmatizer, flat)
    out, offset = {}, 0
    for row, (_, parts) in retold.items():
        end = offset + 1 + len(parts)
        out[row] = (vecs[offset], vecs[offset + 1 : end], lemmas[offset], list(lemmas[offset + 1 : end]))
        offset = end
    return out, embedded


def _translated(code: Code, field: str, languages: Sequence[str]) -> list[str]:
    """A code's examples or keywords in the project's other languages (codebook ``{en: [...], ru: [...]}``)."""
    translations = code.translations or {}
    return [text for language in languages for text in translations.get(language, {}).get(field, [])]


def build_prototypes(
    store: Store, embedder: Embedder, lemmatizer: Lemmatizer, codebook: str | None = None
) -> tuple[CodebookPrototypes, str]:
    """Embedded examples, definitions and lemmatised keywords of the codes; and the codebook version(s)."""
    with store.read() as session:
        query = select(Code).order_by(Code.id)
        books_query = select(Codebook).order_by(Codebook.id)
        if codebook:
            if session.get(Codebook, codebook) is None:
                raise NotFoundError(f"unknown codebook {codebook!r}")
            query = query.where(Code.codebook_id == codebook)
            books_query = books_query.where(Codebook.id == codebook)
        codes = list(session.scalars(query))
        books = list(session.scalars(books_query))
    if not codes:
        raise NotFoundError("no codes in the store: load a codebook first (qda codebook load FILE)")
    max_per_group: dict[str, int] = {}
    for book in books:
        for group, settings in (book.groups or {}).items():
            max_per_group[group] = int(settings["max_per_segment"])
    languages = sorted(project_languages(store) - {"en"})
    examples = [[*c.examples, *_translated(c, "examples", languages)] for c in codes]
    definitions = [" ".join([c.definition, *c.include]) for c in codes]
    flat_examples = [e for group in examples for e in group]
    vecs, _ = cached_embeddings(store, embedder, [*definitions, *flat_examples])
    definition_vecs = vecs[: len(codes)]
    example_vecs, offset = [], len(codes)
    for group in examples:
        example_vecs.append(vecs[offset : offset + len(group)])
        offset += len(group)
    example_lemmas_flat = cached_lemmas(store, lemmatizer, flat_examples) if flat_examples else []
    example_lemmas, offset = [], 0
    for group in examples:
        example_lemmas.append(example_lemmas_flat[offset : offset + len(group)])
        offset += len(group)
    keyword_lists = [[*c.keywords, *_translated(c, "keywords", languages)] for c in codes]
    flat_keywords = [k for group in keyword_lists for k in group]
    keyword_lemmas_flat = cached_lemmas(store, lemmatizer, flat_keywords) if flat_keywords else []
    keyword_lemmas, offset = [], 0
    for group in keyword_lists:
        keyword_lemmas.append(keyword_lemmas_flat[offset : offset + len(group)])
        offset += len(group)
    prototypes = CodebookPrototypes(
        code_ids=[c.id for c in codes],
        groups=[c.group for c in codes],
        example_texts=examples,
        example_vecs=example_vecs,
        definition_vecs=definition_vecs,
        keyword_lemmas=keyword_lemmas,
        max_per_group=max_per_group,
        example_lemmas=example_lemmas,
        excludes=exclusion_pairs([c.id for c in codes], [list(c.excludes or []) for c in codes]),
    )
    version = ",".join(f"{b.id}@{b.version}" for b in books)
    return prototypes, version


def exclusion_pairs(code_ids: Sequence[str], excludes: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of codes that exclude each other; one side saying so is enough."""
    index = {c: i for i, c in enumerate(code_ids)}
    pairs = {
        tuple(sorted((index[code], index[other])))
        for code, others in zip(code_ids, excludes, strict=True)
        for other in others
        if other in index and other != code
    }
    return sorted(pairs)  # type: ignore[arg-type]


def label_matrix(
    store: Store, corpus: Corpus, code_ids: Sequence[str], coders: Sequence[str] | None = None
) -> np.ndarray:
    """Turns x codes: 1 coded, 0 not coded in a coded document or rejected, -1 unlabelled.

    ``coders`` limits whose codings teach the model (default: every coder except the model itself).
    """
    labels = np.full((len(corpus.segment_ids), len(code_ids)), UNLABELLED, dtype=np.int8)
    row_of = {sid: i for i, sid in enumerate(corpus.segment_ids)}
    col_of = {c: j for j, c in enumerate(code_ids)}
    with store.read() as session:
        query = (
            select(Coding.segment_id, Coding.code_id, Document.name)
            .join(Coder, Coding.coder_id == Coder.id)
            .join(Document, Coding.document_id == Document.id)
            .where(Coder.name != MODEL_CODER)
        )
        if coders:
            query = query.where(Coder.name.in_(list(coders)))
        codings = session.execute(query).all()
        coded_documents = {doc for _, _, doc in codings}
        for i, doc in enumerate(corpus.documents):
            if doc in coded_documents:
                labels[i] = 0
        for segment_id, code_id, _ in codings:
            if segment_id in row_of and code_id in col_of:
                labels[row_of[segment_id], col_of[code_id]] = 1
        rejected = session.execute(
            select(Suggestion.segment_id, Suggestion.code_id)
            .join(Review, Review.suggestion_id == Suggestion.id)
            .where(Review.decision.in_(["reject", "change"]), Review.undone_at.is_(None))
        ).all()
        for segment_id, code_id in rejected:
            if segment_id in row_of and code_id in col_of and labels[row_of[segment_id], col_of[code_id]] != 1:
                labels[row_of[segment_id], col_of[code_id]] = 0
    return labels


def _explanation(
    corpus: Corpus, reason: dict[str, Any], code_ids: Sequence[str], labels: np.ndarray, row: int
) -> dict[str, Any]:
    """Turn row indices of neighbours into document, position, codes and a short quote."""
    neighbours = []
    for item in reason.get("neighbours", []):
        k = item["row"]
        if k == row or len(neighbours) >= 2:
            continue
        neighbours.append(
            {
                "document": corpus.documents[k],
                "position": corpus.positions[k],
                "codes": [code_ids[j] for j in np.where(labels[k] == 1)[0]],
                "similarity": item["similarity"],
                "quote": corpus.batch.texts[k][:160],
            }
        )
    return {**{k: v for k, v in reason.items() if k != "neighbours"}, "neighbours": neighbours}


def _check_documents(store: Store, documents: Sequence[str]) -> None:
    with store.read() as session:
        known = set(session.scalars(select(Document.name).where(Document.name.in_(list(documents)))))
    missing = sorted(set(documents) - known)
    if missing:
        raise NotFoundError(f"unknown documents: {', '.join(missing)}")


def suggest(
    store: Store,
    documents: Sequence[str] | None = None,
    codebook: str | None = None,
    coders: Sequence[str] | None = None,
    embedder: Embedder | str | None = None,
    lemmatizer: Lemmatizer | str | None = None,
    config: SuggestConfig | None = None,
    progress: bool = False,
    actor: str = MODEL_CODER,
    on_progress: Callable[[float, str], None] | None = None,
) -> SuggestReport:
    """Fit on the store's codings and store suggestions for the respondent turns of ``documents``.

    Open (undecided) suggestions of the scored turns are replaced; decided ones stay for the record. A code
    a person has already applied to a turn is not suggested for it again (the queue holds only what is new).
    ``on_progress(share, step)`` reports the share done (0-1) and the step, for a dashboard's progress bar.
    """

    def report_step(share: float, step: str) -> None:
        if on_progress is not None:
            on_progress(share, step)

    def embedding(done: int, total: int) -> None:
        report_step(0.05 + 0.75 * done / max(total, 1), f"embedding new text: {done} of {total}")

    if documents:
        _check_documents(store, documents)
    embedder = select_embedder(
        embedder if embedder is not None else project_embedding_model(store)[0],
        cache_dir=default_model_cache(store.url),
    )
    lemmatizer = select_lemmatizer(lemmatizer if lemmatizer is not None else lemmatizer_for(store))
    config = config or SuggestConfig()
    report_step(0.02, "reading the corpus")
    corpus = load_corpus(store, embedder, lemmatizer, progress=progress, on_progress=embedding)
    if not corpus.segment_ids:  # nothing to score: say what to do instead of failing inside the model
        raise NotFoundError(
            "no respondent turns to suggest codes for: import transcripts first (`qda import`); a transcript whose "
            "speakers were not recognised has none (`qda show DOC` shows each turn's role)"
        )
    report_step(0.8, "fitting the model")
    prototypes, codebook_version = build_prototypes(store, embedder, lemmatizer, codebook)
    labels = label_matrix(store, corpus, prototypes.code_ids, coders)
    model = CodeSuggester.from_config(prototypes, config).fit(corpus.batch, labels, corpus.documents)
    target = corpus.rows_of(documents) if documents else np.arange(len(corpus.segment_ids))
    sub = corpus.batch.subset(target) if documents else corpus.batch
    report_step(0.9, "scoring and explaining")
    # the fitted batch is scored whole (its features are kept, so this costs little): rules that need every
    # turn's interview, such as keeping the codebook's suggestions in an unfamiliar one, apply to it alone
    probs, ranks = (scores[target] for scores in model.predict_proba_and_ranks(corpus.batch))
    chosen = model.decide(probs, model.passage_counts(sub), ranks)
    unfamiliar = model.unfamiliar_turns()[target]
    reasons = model.explain(sub, probs, unfamiliar=unfamiliar, ranks=ranks)
    report = SuggestReport(
        segments_scored=len(target),
        few_shot_codes=model.few_shot_codes_,
        zero_shot_codes=[c for c in prototypes.code_ids if c not in model.few_shot_codes_],
        labelled_segments=int((labels != UNLABELLED).any(axis=1).sum()),
        newly_embedded=corpus.embedded,
        model_name=fit_length(f"{embedder.name}+tfidf-logreg", 300),
        model_version=fit_length(f"survivor-qda {__version__}; {embedder_key(embedder)}; {lemmatizer.name}", 100),
        unfamiliar_documents=sorted({corpus.documents[i] for i in target[np.asarray(unfamiliar, dtype=bool)]})
        if model.unfamiliar_rule_applies()
        else [],
        evidence_weight=float(model.evidence_weight_) if model.trained_.any() else None,
        carry_weight=model.carry_weight_,
    )
    target_segments = [corpus.segment_ids[i] for i in target]
    with store.read() as session:
        present = codes_on_turns(session, target_segments)
    with store.transaction(actor=actor) as tx:
        for start in range(0, len(target_segments), 500):
            chunk = target_segments[start : start + 500]
            tx.session.execute(delete(Suggestion).where(Suggestion.segment_id.in_(chunk), Suggestion.status == "open"))
        for local, row in enumerate(target):
            for j in np.where(chosen[local])[0]:
                if prototypes.code_ids[j] in present.get(corpus.segment_ids[row], {}):
                    report.already_coded += 1
                    continue
                explanation = _explanation(corpus, reasons[local][int(j)], prototypes.code_ids, labels, int(row))
                tx.session.add(
                    Suggestion(
                        segment_id=corpus.segment_ids[row],
                        code_id=prototypes.code_ids[j],
                        probability=float(probs[local, j]),
                        model_name=report.model_name,
                        model_version=report.model_version,
                        codebook_version=codebook_version,
                        explanation=explanation,
                    )
                )
                report.suggestions += 1
        tx.audit(
            "suggest",
            "suggestions",
            "",
            after={
                "segments": report.segments_scored,
                "suggestions": report.suggestions,
                "already_coded": report.already_coded,
                "few_shot_codes": len(report.few_shot_codes),
                "unfamiliar_documents": len(report.unfamiliar_documents),
                "evidence_weight": report.evidence_weight,
                "carry_weight": report.carry_weight,
                "model": report.model_name,
                "model_version": report.model_version,
            },
        )
    report_step(1.0, f"{report.suggestions} suggestions stored")
    return report


def suggestion_rows(
    store: Store, documents: Sequence[str] | None = None, status: str | None = "open"
) -> list[dict[str, Any]]:
    """Stored suggestions as flat dicts: document, position, start, end, quote, code, probability, ..."""
    with store.read() as session:
        query = (
            select(Suggestion, Segment, Document.name)
            .join(Segment, Suggestion.segment_id == Segment.id)
            .join(Document, Segment.document_id == Document.id)
            .order_by(Document.name, Segment.position, Suggestion.probability.desc())
        )
        if documents:
            query = query.where(Document.name.in_(list(documents)))
        if status:
            query = query.where(Suggestion.status == status)
        found = session.execute(query).all()
        shown = views(session, {seg.document_id for _, seg, _ in found})
        return [
            {
                "id": s.id,
                "segment_id": seg.id,
                "document": doc,
                "position": seg.position,
                "start": seg.start,
                "end": seg.end,
                "quote": shown[seg.document_id].slice(seg.start, seg.end),
                "code": s.code_id,
                "probability": round(s.probability, 4),
                "status": s.status,
                "model": s.model_name,
                "model_version": s.model_version,
                "codebook_version": s.codebook_version,
                "explanation": s.explanation,
            }
            for s, seg, doc in found
        ]


def documents_without_suggestions(store: Store) -> list[str]:
    """Names of documents with respondent turns of which none has ever had a suggestion (open or decided)."""
    with store.read() as session:
        with_turns = set(
            session.scalars(
                select(Document.name)
                .join(Segment, Segment.document_id == Document.id)
                .where(Segment.role == ROLE_RESPONDENT)
            )
        )
        suggested = set(
            session.scalars(
                select(Document.name)
                .join(Segment, Segment.document_id == Document.id)
                .join(Suggestion, Suggestion.segment_id == Segment.id)
            )
        )
    return sorted(with_turns - suggested)


def review_queue(
    store: Store, order: str = "uncertainty", documents: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Open suggestions in review order.

    ``uncertainty`` puts first the decisions that teach the model most (probability closest to 0.5);
    ``document`` follows the transcripts.
    """
    rows = suggestion_rows(store, documents, status="open")
    with store.read() as session:  # a suggestion made before a person coded the same turn is no longer news
        present = codes_on_turns(session, [r["segment_id"] for r in rows])
    rows = [r for r in rows if r["code"] not in present.get(r["segment_id"], {})]
    if order == "uncertainty":
        rows.sort(key=lambda r: (abs(r["probability"] - 0.5), r["document"], r["position"]))
    elif order != "document":
        raise ValueError(f"unknown order {order!r}; use uncertainty or document")
    return rows
