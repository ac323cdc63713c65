"""What every page shares: the store, the chosen coder and filters, and the frames they select.

The store (an engine per database URL) is the only cached resource; frames are cached data keyed by
URL, coder, filters and the store's data version (the last audit event), so a decision anywhere shows
everywhere on the next rerun. Nothing user-specific is cached as a resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import func, select

from toolkit.analysis import filter_cases, filter_codings
from toolkit.frames import ALL_CODERS_LABEL, coder_label, load_code_names, load_colours, load_frames, resolve_coder
from toolkit.model import MODEL_ORIGINS, AuditEvent, Coder
from toolkit.review import is_blind
from toolkit.store import Store, default_db_url, open_store

__all__ = ["ACCEPTED_LABEL", "FILTER_ATTRIBUTES", "Context", "context", "data_version", "get_store"]

ACCEPTED_LABEL = "accepted suggestions"
FILTER_ATTRIBUTES = ("gender", "age_group", "exploitation_type", "destination", "year_assisted")


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


def _choices(cases: pd.DataFrame, attribute: str) -> list[str]:
    if attribute not in cases:
        return []
    return sorted(str(v) for v in cases[attribute].dropna().unique())


def context() -> Context:
    """Read the sidebar (coder and filters) and return the frames they select."""
    url = st.session_state.get("db_url") or default_db_url()
    store = get_store(url)
    version = data_version(store)
    colours, names, coders = _codebook(url, version)
    default = resolve_coder(store)
    blind = is_blind(store)
    options = list(coders) if blind else [*coders, ALL_CODERS_LABEL, ACCEPTED_LABEL]
    if blind:
        st.sidebar.warning("Blind coding is on: choose yourself; others' codings stay hidden until agreement.")
    index = options.index(default) if default in options else (options.index(ALL_CODERS_LABEL) if not blind else 0)
    choice = st.sidebar.selectbox("Whose codings count", options, index=index, key="coder_choice")
    accepted_only = choice == ACCEPTED_LABEL
    coder = None if choice in (ALL_CODERS_LABEL, ACCEPTED_LABEL) else choice
    codings, all_cases = _frames(url, coder, accepted_only, version)
    filters: dict[str, list[Any]] = {}
    with st.sidebar.expander("Filters", expanded=False):
        for attribute in FILTER_ATTRIBUTES:
            values = _choices(all_cases, attribute)
            if values:
                picked = st.multiselect(attribute.replace("_", " "), values, key=f"filter_{attribute}")
                if picked:
                    filters[attribute] = picked
    cases = filter_cases(all_cases, **filters)
    codings = filter_codings(codings, cases)
    text = ACCEPTED_LABEL + " (any reviewer)" if accepted_only else coder_label(coder)
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
    )
