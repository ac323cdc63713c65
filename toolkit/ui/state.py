"""What every page shares: the store, the chosen coder and filters, and the frames they select.

The store (an engine per database URL) is the only cached resource; frames are cached data keyed by
URL, coder, filters and the store's data version (the last audit event), so a decision anywhere shows
everywhere on the next rerun. Nothing user-specific is cached as a resource.

The sidebar choices (whose codings count, filters) hold across pages: Streamlit forgets the state of a
widget that the new page has not drawn yet, so each choice is also kept under a plain session key
(:data:`KEPT`) and seeds its widget on every page. Blind mode (:mod:`toolkit.coding.blind`) limits the coder
choice to single coders; a refused request shows its message instead of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from toolkit.analysis import frames
from toolkit.analysis.disclosure import DEFAULT_MIN_CELL, audit_small_numbers_shown, default_min_cell
from toolkit.analysis.findings import filter_cases, filter_codings
from toolkit.analysis.frames import (
    ALL_CODERS_LABEL,
    choose_coder,
    coder_label,
    load_code_names,
    load_colours,
    load_frames,
    with_language,
)
from toolkit.coding.blind import allowed_coders, is_blind
from toolkit.errors import BlindModeError, ToolkitError
from toolkit.store.engine import Store, default_db_url, open_store
from toolkit.store.models import MODEL_ORIGINS, AuditEvent, Coder
from toolkit.ui.access import current_identity, may

__all__ = [
    "ACCEPTED_LABEL",
    "FILTER_ATTRIBUTES",
    "KEPT",
    "Context",
    "coder_options",
    "context",
    "data_version",
    "display_url",
    "get_store",
    "keep",
    "kept",
    "remember",
    "remember_widget",
]

ACCEPTED_LABEL = "accepted suggestions"
FILTER_ATTRIBUTES = ("language", "gender", "age_group", "exploitation_type", "destination", "year_assisted")
KEPT = "kept_choices"
LIFT_KEY = "lift_small_numbers"
LIFT_AUDITED = "lift_small_numbers_audited"
"""Session key of the sidebar choices kept across pages (widget key -> value)."""


def display_url(url: str) -> str:
    """A database URL as the sidebar shows it: a SQLite file's path, any other URL without its password.

    Example:
        >>> display_url("postgresql://ana:s3cret@db.local/study")
        'postgresql://ana:***@db.local/study'
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unreadable database URL)"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def kept(key: str, default: Any = None) -> Any:
    """The value a sidebar widget had on the last page it was drawn on."""
    return st.session_state.get(KEPT, {}).get(key, default)


def keep(key: str, valid: list[Any] | None = None, default: Any = None) -> None:
    """Seed widget ``key`` with its kept value (if still one of ``valid``), so choices survive a page change.

    Call it just before drawing the widget (without ``index``/``default``, with ``on_change=remember_widget,
    args=(key,)``), and :func:`remember` its value after. Streamlit gives a widget on another page a new
    identity, so the value is seeded on every run; the callback keeps a user's change ahead of the seed.
    """
    value = kept(key, default)
    if isinstance(value, list):
        value = [v for v in value if valid is None or v in valid]
    elif valid is not None and value not in valid:
        value = default if default in (valid or [default]) else None
    if value is not None:
        st.session_state[key] = value


def remember(key: str, value: Any) -> None:
    """Keep a sidebar widget's value for the next page (see :func:`keep`)."""
    st.session_state.setdefault(KEPT, {})[key] = value


def remember_widget(key: str) -> None:
    """``on_change`` callback: keep the value the user just chose (runs before the page)."""
    remember(key, st.session_state.get(key))


def coder_options(coders: list[str], blind: bool) -> list[str]:
    """What "Whose codings count" offers: single coders only while blind mode is on (:mod:`toolkit.coding.blind`)."""
    return list(coders) if blind else [*coders, ALL_CODERS_LABEL, ACCEPTED_LABEL]


@st.cache_resource(show_spinner=False)
def get_store(url: str) -> Store:
    """One opened store per database URL for the whole server."""
    return open_store(url)


def data_version(store: Store) -> int:
    """Changes whenever anything is written (every write leaves an audit event)."""
    with store.read() as session:
        return int(session.scalar(select(func.max(AuditEvent.id))) or 0)


@st.cache_data(show_spinner=False, max_entries=64)
def _frames(url: str, coder: str | None, accepted_only: bool, version: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    origins = list(MODEL_ORIGINS) if accepted_only else None
    return load_frames(get_store(url), None if accepted_only else coder, origins=origins)


@st.cache_data(show_spinner=False, max_entries=8)
def _codebook(url: str, version: int) -> tuple[dict[str, str], dict[str, str], list[str]]:
    store = get_store(url)
    with store.read() as session:
        coders = list(session.scalars(select(Coder.name).order_by(Coder.name)))
    return load_colours(store), load_code_names(store), coders


@st.cache_data(show_spinner=False, max_entries=8)
def document_languages(url: str, version: int) -> dict[str, str]:
    """Document name -> language, for the language column and filter (a mixed project's quotes stay original)."""
    return frames.document_languages(get_store(url))


@dataclass
class Context:
    """The filtered frames and what a page needs to label them."""

    url: str
    store: Store
    codings: pd.DataFrame
    cases: pd.DataFrame
    all_cases: pd.DataFrame
    colours: dict[str, str]
    names: dict[str, str]
    coder: str | None
    coder_text: str
    coders: list[str]
    filters: dict[str, list[Any]] = field(default_factory=dict)
    blind: bool = False
    languages: dict[str, str] = field(default_factory=dict)
    min_cell: int = DEFAULT_MIN_CELL
    """Fewest people a shown cell may count (0: an admin lifted small-number protection for this session)."""


def _small_number_protection(store: Store) -> int:
    """``QDA_MIN_CELL`` (default 3), or 0 when an admin ticks "Show small numbers" for their own analysis.

    Only a role that may read raw text sees the box (everyone when the store has no users: the researcher
    alone on their machine); the first lift of a session is an audit event.
    """
    min_cell = default_min_cell()
    if min_cell <= 0 or not may("raw", store):
        return min_cell
    keep(LIFT_KEY, [True, False], False)
    lifted = st.sidebar.checkbox(
        "Show small numbers (my own analysis)",
        key=LIFT_KEY,
        on_change=remember_widget,
        args=(LIFT_KEY,),
        help=f"Shows cells of fewer than {min_cell} people, which can identify someone: not for sharing.",
    )
    remember(LIFT_KEY, lifted)
    if not lifted:
        return min_cell
    st.sidebar.warning(f"Small numbers shown: cells of 1 to {min_cell - 1} people can identify someone.")
    if not st.session_state.get(LIFT_AUDITED):
        identity = current_identity(store)
        audit_small_numbers_shown(store, identity.name if identity else "dashboard", "dashboard")
        st.session_state[LIFT_AUDITED] = True
    return 0


def _choices(cases: pd.DataFrame, attribute: str) -> list[str]:
    if attribute not in cases:
        return []
    return sorted(str(v) for v in cases[attribute].dropna().unique())


def context() -> Context:
    """Read the sidebar (coder and filters) and return the frames they select.

    A request that blind mode refuses shows the policy's message and stops the page (no traceback).
    """
    url = st.session_state.get("db_url") or default_db_url()
    try:
        store = get_store(url)
    except ToolkitError as exc:  # the message names the URL: never show its password
        st.error(str(exc).replace(url, display_url(url)))
        st.stop()
    version = data_version(store)
    colours, names, coders = _codebook(url, version)
    blind = is_blind(store)
    options = coder_options(coders, blind)
    if blind:
        st.sidebar.warning("Blind coding is on: choose yourself; others' codings stay hidden until agreement.")
    reference = choose_coder(store)
    default = reference.coder
    default = default if default in options else (options[0] if blind and options else ALL_CODERS_LABEL)
    keep("coder_choice", options, default)
    choice = st.sidebar.selectbox(
        "Whose codings count", options, key="coder_choice", on_change=remember_widget, args=("coder_choice",)
    )
    remember("coder_choice", choice)
    accepted_only = choice == ACCEPTED_LABEL
    coder = None if choice in (ALL_CODERS_LABEL, ACCEPTED_LABEL) else choice
    try:
        allowed_coders(store, None if coder is None else [coder])
        codings, all_cases = _frames(url, coder, accepted_only, version)
    except BlindModeError as exc:
        st.error(str(exc))
        st.stop()
    languages = document_languages(url, version)
    all_cases = with_language(all_cases, languages)
    filters: dict[str, list[Any]] = {}
    with st.sidebar.expander("Filters", expanded=any(kept(f"filter_{a}") for a in FILTER_ATTRIBUTES)):
        for attribute in FILTER_ATTRIBUTES:
            values = _choices(all_cases, attribute)
            if values:
                key = f"filter_{attribute}"
                keep(key, values)
                picked = st.multiselect(
                    attribute.replace("_", " "), values, key=key, on_change=remember_widget, args=(key,)
                )
                remember(key, picked)
                if picked:
                    filters[attribute] = picked
    cases = filter_cases(all_cases, **filters)
    codings = filter_codings(codings, cases)
    min_cell = _small_number_protection(store)
    if accepted_only:
        text = ACCEPTED_LABEL + " (any reviewer)"
    else:
        why = reference.reason if coder == reference.coder else "chosen in the sidebar"
        text = f"{coder_label(coder)} ({why})"
    filter_text = "; ".join(f"{k.replace('_', ' ')}: {', '.join(map(str, v))}" for k, v in filters.items())
    return Context(
        url=url,
        store=store,
        codings=codings,
        cases=cases,
        all_cases=all_cases,
        colours=colours,
        names=names,
        coder=coder,
        coder_text=text + (f" - filtered by {filter_text}" if filter_text else ""),
        coders=coders,
        filters=filters,
        blind=blind,
        languages=languages,
        min_cell=min_cell,
    )
