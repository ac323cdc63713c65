"""The queries a QDA user expects: coding query, matrix, co-occurrence and word frequency.

All four read the codings whose coder :func:`~toolkit.analysis.frames.choose_coder` picks (blind coding
obeyed, through :func:`~toolkit.analysis.frames.load_frames`; ``origins`` keeps only codings of those
origins, e.g. accepted suggestions), and count two kinds of unit: a *turn*
(segment; a coding counts on every turn its span overlaps) and an *interview* (document). The CLI
(``qda query ...``) and the dashboard's Queries page print what these functions return, so the three
always agree.

- :func:`coding_query`: ``A AND B``, ``A OR B``, ``A AND NOT B`` with parentheses, in the same turn or
  the same interview.
- :func:`matrix_query`: codes x the values of a case attribute; each cell counts interviews and turns,
  and :func:`matrix_cell_quotes` opens a cell.
- :func:`cooccurrence`: codes x codes, turns (or interviews) where both are applied.
- :func:`word_frequencies`: lemmas of the coded passages of some codes (or a code group), stop words out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select

from toolkit.analysis.frames import DEFAULT_CODER, document_languages, load_frames, with_language
from toolkit.analysis.search import SearchError
from toolkit.corpus.identifiers import views
from toolkit.store.engine import Store
from toolkit.store.models import Code, Document, Segment
from toolkit.suggest.caches import cached_lemmas
from toolkit.suggest.lemmas import Lemmatizer, select_lemmatizer, stop_words

__all__ = [
    "CodingQueryResult",
    "QueryError",
    "coding_query",
    "cooccurrence",
    "matrix_cell_quotes",
    "matrix_query",
    "parse_expression",
    "unit_codes",
    "word_frequencies",
]

QueryError = SearchError
Scope = Literal["turn", "interview"]
SCOPES: tuple[str, ...] = ("turn", "interview")
NO_VALUE = "(none)"


# ---------------------------------------------------------------- expression


_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def parse_expression(expression: str) -> Any:
    """Parse ``A AND (B OR NOT C)`` into nested tuples: ``("and", "A", ("or", "B", ("not", "C")))``.

    NOT binds tightest, then AND, then OR; operators are case-insensitive; anything else is a code id.

    Raises:
        QueryError: an empty expression, a dangling operator or an unbalanced parenthesis.
    """
    items = _TOKEN.findall(expression)
    if not items:
        raise QueryError("the coding query is empty; write e.g. 'root_cause.economic AND root_cause.family'")
    pos = 0

    def peek() -> str | None:
        return items[pos] if pos < len(items) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(items):
            raise QueryError(f"the coding query {expression!r} ends too early")
        pos += 1
        return items[pos - 1]

    def primary() -> Any:
        item = take()
        if item.upper() == "NOT":
            return ("not", primary())
        if item == "(":
            inner = disjunction()
            if take() != ")":
                raise QueryError(f"unbalanced parenthesis in {expression!r}")
            return inner
        if item == ")" or item.upper() in ("AND", "OR"):
            raise QueryError(f"unexpected {item!r} in {expression!r}")
        return item

    def conjunction() -> Any:
        node = primary()
        while (nxt := peek()) is not None and nxt.upper() == "AND":
            take()
            node = ("and", node, primary())
        return node

    def disjunction() -> Any:
        node = conjunction()
        while (nxt := peek()) is not None and nxt.upper() == "OR":
            take()
            node = ("or", node, conjunction())
        return node

    tree = disjunction()
    if pos != len(items):
        raise QueryError(f"unexpected {items[pos]!r} in {expression!r}")
    return tree


def _codes_in(tree: Any) -> set[str]:
    if isinstance(tree, str):
        return {tree}
    return set().union(*(_codes_in(t) for t in tree[1:]))


def _positive_codes(tree: Any, negated: bool = False) -> set[str]:
    if isinstance(tree, str):
        return set() if negated else {tree}
    if tree[0] == "not":
        return _positive_codes(tree[1], not negated)
    return set().union(*(_positive_codes(t, negated) for t in tree[1:]))


def _holds(tree: Any, codes: set[str]) -> bool:
    if isinstance(tree, str):
        return tree in codes
    if tree[0] == "not":
        return not _holds(tree[1], codes)
    if tree[0] == "and":
        return _holds(tree[1], codes) and _holds(tree[2], codes)
    return _holds(tree[1], codes) or _holds(tree[2], codes)


# ---------------------------------------------------------------- units


def _segments(store: Store) -> pd.DataFrame:
    """Every turn with its de-identified text (the text queries show; offsets stay the document's)."""
    with store.read() as session:
        shown = views(session)
        rows = [
            (name, position, role, start, end, shown[doc_id].slice(start, end))
            for doc_id, name, position, role, start, end in session.execute(
                select(Document.id, Document.name, Segment.position, Segment.role, Segment.start, Segment.end)
                .join(Segment, Segment.document_id == Document.id)
                .order_by(Document.name, Segment.position)
            )
        ]
    return pd.DataFrame(rows, columns=["document", "segment", "role", "start", "end", "text"])


def _check_codes(store: Store, codes: set[str]) -> None:
    with store.read() as session:
        known = set(session.scalars(select(Code.id)))
    unknown = sorted(codes - known)
    if unknown:
        raise QueryError(f"unknown code {unknown[0]!r} (see `qda codebook list`)")


def unit_codes(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """One row per (document, turn, code): each coding on every turn its span overlaps."""
    if codings.empty:
        return pd.DataFrame(columns=["document", "segment", "code"])
    merged = codings[["document", "start", "end", "code"]].merge(
        segments[["document", "segment", "start", "end"]], on="document", suffixes=("", "_seg")
    )
    overlap = (merged["start"] < merged["end_seg"]) & (merged["start_seg"] < merged["end"])
    return merged.loc[overlap, ["document", "segment", "code"]].drop_duplicates().reset_index(drop=True)


@dataclass
class CodingQueryResult:
    """What a coding query found: the matching turns or interviews, and the passages behind them."""

    expression: str
    scope: str
    coder: str
    documents: list[str] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)
    quotes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def interviews(self) -> int:
        """How many interviews match."""
        return len(self.documents)

    @property
    def segments(self) -> int:
        """How many turns match (turn scope), or carry a positive code of the query (interview scope)."""
        return len(self.turns)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "expression": self.expression,
            "scope": self.scope,
            "coder": self.coder,
            "interviews": self.interviews,
            "segments": self.segments,
            "documents": self.documents,
            "turns": self.turns,
        }


def coding_query(
    store: Store,
    expression: str,
    scope: Scope = "turn",
    coder: str | None = DEFAULT_CODER,
    origins: list[str] | None = None,
) -> CodingQueryResult:
    """Turns (``scope="turn"``) or interviews (``"interview"``) whose codes satisfy ``expression``.

    In turn scope, ``turns`` are the matching turns; in interview scope, the turns of matching interviews
    that carry a code the expression asks for (not a negated one), so the quotes show why they matched.

    Raises:
        QueryError: a bad expression, an unknown code or scope.
    """
    if scope not in SCOPES:
        raise QueryError(f"unknown scope {scope!r}; use turn or interview")
    tree = parse_expression(expression)
    _check_codes(store, _codes_in(tree))
    codings, cases = load_frames(store, coder, origins=origins)
    segments = _segments(store)
    units = unit_codes(codings, segments)
    positive = _positive_codes(tree)
    text = {(d, p): (r, t) for d, p, r, t in segments[["document", "segment", "role", "text"]].itertuples(index=False)}
    result = CodingQueryResult(expression, scope, codings.attrs.get("coder", ""))
    if scope == "turn":
        per_turn = units.groupby(["document", "segment"])["code"].agg(set).to_dict()
        keys = [(d, p) for d, p in zip(segments["document"], segments["segment"], strict=True)]
        matched = [k for k in keys if _holds(tree, per_turn.get(k, set()))]
    else:
        per_doc = units.groupby("document")["code"].agg(set).to_dict()
        docs = [d for d in cases["document"] if _holds(tree, per_doc.get(d, set()))]
        wanted = set(docs)
        matched = sorted(
            {(d, p) for d, p, c in units.itertuples(index=False) if d in wanted and c in positive},
        )
        result.documents = docs
    result.turns = [
        {
            "document": d,
            "segment": int(p),
            "role": text[(d, p)][0],
            "codes": sorted(units[(units.document == d) & (units.segment == p)]["code"]),
            "text": text[(d, p)][1],
        }
        for d, p in matched
    ]
    if scope == "turn":
        result.documents = list(dict.fromkeys(d for d, _ in matched))
    keep = set(matched)
    mask = [
        (d, p) in keep and c in positive for d, p, c in units[["document", "segment", "code"]].itertuples(index=False)
    ]
    quote_rows = units[pd.Series(mask, index=units.index, dtype=bool)]
    result.quotes = quote_rows.assign(
        quote=[text[(d, p)][1] for d, p in zip(quote_rows["document"], quote_rows["segment"], strict=True)]
    )
    return result


def _attribute_values(cases: pd.DataFrame, attribute: str) -> pd.Series:
    if attribute not in cases.columns:
        known = ", ".join(c for c in cases.columns if c != "document") or "none"
        raise QueryError(f"unknown case attribute {attribute!r} (attributes: {known})")
    return cases.set_index("document")[attribute].map(lambda v: NO_VALUE if pd.isna(v) or v == "" else str(v))


def matrix_query(
    store: Store,
    attribute: str,
    codes: Sequence[str] | None = None,
    coder: str | None = DEFAULT_CODER,
    origins: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Codes x values of ``attribute``: ``{"interviews": counts, "segments": counts, "totals": interviews per value}``.

    A cell of ``interviews`` counts the interviews with that attribute value where the code is applied at
    least once; a cell of ``segments`` counts the turns it is applied on. Rows are codes (all codes of the
    codebook unless ``codes``), columns the attribute's values (``(none)`` for a missing value).

    Raises:
        QueryError: an unknown attribute or code.
    """
    codings, cases = load_frames(store, coder, origins=origins)
    values = _attribute_values(with_language(cases, document_languages(store)), attribute)
    with store.read() as session:
        all_codes = list(session.scalars(select(Code.id).order_by(Code.id)))
    rows = list(codes) if codes else all_codes
    _check_codes(store, set(rows))
    columns = sorted(set(values))
    units = unit_codes(codings, _segments(store))
    units = units[units["code"].isin(rows)].assign(value=lambda f: f["document"].map(values))
    interviews = units.drop_duplicates(["document", "code"]).pivot_table(
        index="code", columns="value", values="document", aggfunc="count", fill_value=0
    )
    segments = units.pivot_table(index="code", columns="value", values="segment", aggfunc="count", fill_value=0)

    def shaped(frame: pd.DataFrame) -> pd.DataFrame:
        """Every asked code and attribute value, zeros where nobody said it."""
        if units.empty:
            return _zeros(rows, columns)
        return frame.reindex(index=rows, columns=columns, fill_value=0).astype(int)

    out = {
        "interviews": shaped(interviews),
        "segments": shaped(segments),
        "totals": values.value_counts().reindex(columns, fill_value=0).astype(int).to_frame("interviews").T,
    }
    for name in ("interviews", "segments"):
        out[name].index.name, out[name].columns.name = "code", attribute
    out["totals"].columns.name = attribute
    out["interviews"].attrs["coder"] = codings.attrs.get("coder", "")
    return out


def _zeros(rows: list[str], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(0, index=pd.Index(rows, name="code"), columns=columns)


def matrix_cell_quotes(
    store: Store,
    attribute: str,
    value: str,
    code: str,
    coder: str | None = DEFAULT_CODER,
    origins: list[str] | None = None,
) -> pd.DataFrame:
    """The coded passages behind one matrix cell: codings of ``code`` in interviews whose ``attribute`` is ``value``."""
    codings, cases = load_frames(store, coder, origins=origins)
    values = _attribute_values(with_language(cases, document_languages(store)), attribute)
    documents = set(values[values == str(value)].index)
    return codings[(codings["code"] == code) & codings["document"].isin(documents)].reset_index(drop=True)


def cooccurrence(
    store: Store,
    codes: Sequence[str] | None = None,
    scope: Scope = "turn",
    coder: str | None = DEFAULT_CODER,
    origins: list[str] | None = None,
) -> pd.DataFrame:
    """Codes x codes: in how many turns (or interviews) both are applied; the diagonal is each code alone.

    Raises:
        QueryError: an unknown code or scope.
    """
    if scope not in SCOPES:
        raise QueryError(f"unknown scope {scope!r}; use turn or interview")
    codings, _cases = load_frames(store, coder, origins=origins)
    with store.read() as session:
        all_codes = list(session.scalars(select(Code.id).order_by(Code.id)))
    rows = list(codes) if codes else all_codes
    _check_codes(store, set(rows))
    units = unit_codes(codings, _segments(store))
    units = units[units["code"].isin(rows)]
    key = ["document", "segment"] if scope == "turn" else ["document"]
    counts: Counter[tuple[str, str]] = Counter()
    for _unit, group in units.drop_duplicates([*key, "code"]).groupby(key)["code"]:
        present = sorted(set(group))
        for a in present:
            for b in present:
                counts[(a, b)] += 1
    frame = pd.DataFrame([[counts[(a, b)] for b in rows] for a in rows], index=rows, columns=rows)
    frame.index.name, frame.columns.name = "code", "code"
    return frame


_LEMMA = re.compile(r"^\w[\w'’-]*$")


def word_frequencies(
    store: Store,
    codes: Sequence[str] | None = None,
    group: str | None = None,
    *,
    top: int = 30,
    coder: str | None = DEFAULT_CODER,
    lemmatizer: str | Lemmatizer | None = None,
    origins: list[str] | None = None,
) -> pd.DataFrame:
    """The most frequent lemmas in the passages coded with ``codes`` (or any code of ``group``).

    Each coded passage counts once however many of the codes it carries; stop words (spaCy's English
    and Russian lists), numbers and punctuation are left out. Columns: lemma, count, passages (how many
    passages hold it). Lemmas come from the installed spaCy pipeline through the store's lemma cache
    (``lemmatizer="simple"`` for a model-free stand-in); negation marks are dropped.

    Raises:
        QueryError: neither codes nor a group, or an unknown code.
    """
    codings, _cases = load_frames(store, coder, origins=origins)
    with store.read() as session:
        groups = dict(session.execute(select(Code.id, Code.group)).all())
    if codes:
        _check_codes(store, set(codes))
        wanted = set(codes)
    elif group:
        wanted = {c for c, g in groups.items() if g == group or c.startswith(f"{group}.")}
        if not wanted:
            raise QueryError(f"no code in group {group!r}")
    else:
        raise QueryError("name the codes or the code group whose passages to count")
    passages = codings[codings["code"].isin(wanted)].drop_duplicates(["document", "start", "end"])
    lemmas = cached_lemmas(store, select_lemmatizer(lemmatizer), list(passages["quote"]))
    stop = stop_words()
    count: Counter[str] = Counter()
    holding: Counter[str] = Counter()
    for lemma_text in lemmas:
        words = [w.removeprefix("NOT_") for w in lemma_text.split()]
        words = [w for w in words if _LEMMA.match(w) and not w.isdigit() and w not in stop and len(w) > 1]
        count.update(words)
        holding.update(set(words))
    rows = [(w, n, holding[w]) for w, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return pd.DataFrame(rows, columns=["lemma", "count", "passages"])
