"""Full-text search over the transcripts' turns, with every word's other forms, as keyword in context.

``search(store, "passport")`` returns one :class:`SearchHit` per matching segment (speaker turn). A query
is words and ``"quoted phrases"``; a segment matches when it holds every word (in any form: see
:mod:`~toolkit.analysis.wordforms`) and every phrase (its words consecutive). Filters narrow the turns
before matching: speaker role, case attributes (``{"gender": ["female"]}``; ``language`` is the document's
own) and codes (a turn overlapped by a coding of any of the codes, whose codings count as
:func:`~toolkit.analysis.frames.choose_coder` decides and blind coding allows).

Why not the database's own full-text index: see :mod:`~toolkit.analysis.wordforms` (Russian, mixed
scripts, the same answers on SQLite and PostgreSQL). Segment stems are cached in the store, so a search
reads the turns and their cached stems and matches in memory; ``bench/bench_search.py`` measures it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from toolkit.analysis.frames import DEFAULT_CODER, choose_coder
from toolkit.analysis.wordforms import StemNormaliser, tokens
from toolkit.coding.codings import coding_rows
from toolkit.corpus.identifiers import views
from toolkit.errors import ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import ROLES, Document, Project, Segment
from toolkit.suggest.caches import cached_lemmas

__all__ = ["SearchError", "SearchHit", "kwic", "parse_query", "search", "search_memos"]

_PHRASE = re.compile(r'"([^"]*)"|(\S+)')


class SearchError(ToolkitError):
    """A search or query that cannot run: no words, an unknown role, code or attribute, a bad expression."""

    code = "E410"


@dataclass(frozen=True)
class SearchHit:
    """One matching turn: where it is, its de-identified text, and where every matched word is.

    ``matches`` are document offsets (into the original text, like every stored offset); ``shown_matches``
    are offsets into ``text``, the de-identified turn that was searched and is shown.
    """

    document: str
    position: int
    role: str
    speaker: str
    start: int
    end: int
    text: str
    matches: list[tuple[int, int]] = field(default_factory=list)
    shown_matches: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples become lists)."""
        out = asdict(self)
        out["matches"] = [list(m) for m in self.matches]
        out["shown_matches"] = [list(m) for m in self.shown_matches]
        return out


def parse_query(query: str) -> list[list[str]]:
    """The query as a list of stem sequences: a word is a one-stem sequence, a quoted phrase several.

    Example:
        >>> parse_query('passports "signed contracts"')
        [['passport'], ['sign', 'contract']]
    """
    terms = []
    for phrase, word in _PHRASE.findall(query):
        stems = [s for _, _, s in tokens(phrase or word)]
        if stems:
            terms.append(stems)
    return terms


def _contains(padded_stems: str, phrase: Sequence[str]) -> bool:
    """Stems are space-separated, so a phrase is consecutive exactly when its padded string occurs."""
    return f" {' '.join(phrase)} " in padded_stems


def _match_spans(text: str, offset: int, terms: list[list[str]]) -> list[tuple[int, int]]:
    """Document offsets of each occurrence of each term (a phrase spans its first to its last word)."""
    words = tokens(text)
    stems = [s for _, _, s in words]
    spans = []
    for phrase in terms:
        n = len(phrase)
        for i in range(len(stems) - n + 1):
            if stems[i : i + n] == phrase:
                spans.append((offset + words[i][0], offset + words[i + n - 1][1]))
    return sorted(set(spans))


def _coded_spans(
    store: Store, codes: Iterable[str], coder: str | None, origins: Sequence[str] | None
) -> dict[str, list[tuple[int, int]]]:
    wanted = set(codes)
    resolved = choose_coder(store, coder).coder
    spans: dict[str, list[tuple[int, int]]] = {}
    for row in coding_rows(store, [resolved] if resolved is not None else None):
        if row["code"] in wanted and (origins is None or row["origin"] in origins):
            spans.setdefault(row["document"], []).append((row["start"], row["end"]))
    return spans


def search(
    store: Store,
    query: str,
    *,
    roles: Sequence[str] | None = None,
    attributes: Mapping[str, Sequence[str]] | None = None,
    codes: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    coder: str | None = DEFAULT_CODER,
    origins: Sequence[str] | None = None,
    limit: int | None = None,
    raw: bool = False,
) -> list[SearchHit]:
    """Every turn matching ``query`` and the filters, in document and turn order.

    The search runs over the de-identified text that readers see (a name replaced by ``[PERSON_1]`` is
    neither found nor shown); ``raw=True`` searches and shows the original text (the caller audits it).

    Raises:
        SearchError: the query has no words, or a role is not one of interviewer/respondent/other.
    """
    terms = parse_query(query)
    if not terms:
        raise SearchError("the search has no words in it")
    bad = [r for r in roles or () if r not in ROLES]
    if bad:
        raise SearchError(f"unknown role {bad[0]!r}; use one of {', '.join(ROLES)}")
    with store.read() as session:
        # the document's language filters like a case attribute (a case attribute of that name wins)
        documents_of = {
            doc_id: (name, {"language": language, **(attrs or {})})
            for doc_id, name, attrs, language in session.execute(
                select(Document.id, Document.name, Document.attributes, Document.language).join(
                    Project, Document.project_id == Project.id
                )
            )
        }
        names = set(documents or ())
        allowed = {key: {str(v) for v in values} for key, values in (attributes or {}).items() if values}
        wanted = [
            doc_id
            for doc_id, (name, attrs) in documents_of.items()
            if (not names or name in names) and all(str(attrs.get(k)) in v for k, v in allowed.items())
        ]
        statement = select(
            Segment.document_id,
            Segment.position,
            Segment.role,
            Segment.speaker_label,
            Segment.start,
            Segment.end,
            Segment.text,
        ).order_by(Segment.document_id, Segment.position)
        if names or allowed:
            statement = statement.where(Segment.document_id.in_(wanted))
        if roles:
            statement = statement.where(Segment.role.in_(list(roles)))
        found = [row for row in session.execute(statement) if row[0] in documents_of]
        # the de-identified text is what is searched and shown; ``raw`` (audited by the caller) the original
        shown = views(session, {row[0] for row in found}, raw=raw)
        rows = []
        for doc_id, position, role, speaker, start, end, _text in found:
            view = shown[doc_id]
            rows.append(
                (documents_of[doc_id][0], position, role, view.speaker(speaker), start, end, view.segment(start, end))
            )
    rows.sort(key=lambda r: (r[0], r[1]))
    if codes:
        coded = _coded_spans(store, codes, coder, origins)
        rows = [r for r in rows if any(s < r[5] and r[4] < e for s, e in coded.get(r[0], ()))]
    stem_strings = cached_lemmas(store, StemNormaliser(), [r[6].text for r in rows])
    hits: list[SearchHit] = []
    for row, stems in zip(rows, stem_strings, strict=True):
        padded = f" {stems} "
        if not all(_contains(padded, phrase) for phrase in terms):
            continue
        name, position, role, speaker, start, end, redacted = row
        on_text = _match_spans(redacted.text, 0, terms)
        in_document = [(redacted.to_original(a), redacted.to_original(b, at_end=True)) for a, b in on_text]
        hits.append(SearchHit(name, position, role, speaker, start, end, redacted.text, in_document, on_text))
        if limit is not None and len(hits) >= limit:
            break
    return hits


def kwic(hit: SearchHit, width: int = 60) -> list[tuple[str, str, str]]:
    """Keyword in context: ``(left, keyword, right)`` for each match, ``width`` characters either side."""
    out = []
    for a, b in hit.shown_matches:
        left = hit.text[max(0, a - width) : a]
        right = hit.text[b : b + width]
        out.append(
            (
                ("…" if a > width else "") + left.replace("\n", " "),
                hit.text[a:b],
                right.replace("\n", " ") + ("…" if b + width < len(hit.text) else ""),
            )
        )
    return out


def search_memos(store: Store, query: str, *, raw: bool = False) -> list[dict[str, Any]]:
    """Memos holding every word (any form) and phrase of ``query``, with what each is about.

    Memos are few and short, so they are stemmed on the fly rather than cached. Their text is searched and
    shown with the project's known identifiers replaced unless ``raw``.
    """
    from toolkit.coding.memos import memo_rows

    terms = parse_query(query)
    if not terms:
        raise SearchError("the search has no words in it")
    out = []
    for memo in memo_rows(store, raw=raw):
        padded = f" {StemNormaliser().lemmatize([memo['text']])[0]} "
        if all(_contains(padded, phrase) for phrase in terms):
            out.append(memo)
    return out
