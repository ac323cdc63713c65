"""Render one page headless (Streamlit's AppTest) against a store: shared by the tests and bench/."""

from __future__ import annotations

from toolkit.ui.pages import __all__ as PAGE_FUNCTIONS

__all__ = ["PAGE_FUNCTIONS", "page_script"]


def page_script(page: str, url: str) -> None:
    """An AppTest script: open the store at ``url`` and draw one page function of :mod:`toolkit.ui.pages`.

    AppTest runs this function's source on its own, so it imports what it needs inside.
    """
    import streamlit as st

    from toolkit.ui import pages

    st.session_state["db_url"] = url
    getattr(pages, page)()
