"""Render one page headless (Streamlit's AppTest) against a store: shared by the tests and bench/."""

from __future__ import annotations

from toolkit.ui.pages import __all__ as PAGE_FUNCTIONS

__all__ = ["PAGE_FUNCTIONS", "page_script"]


def page_script(page: str, url: str, user: str | None = None) -> None:
    """An AppTest script: open the store at ``url`` and draw one page function of :mod:`toolkit.ui.pages`.

    ``user`` is the name of a user already signed in (as the login form leaves it), for stores with users.
    AppTest runs this function's source on its own, so it imports what it needs inside.
    """
    import streamlit as st

    from toolkit.ui import pages
    from toolkit.ui.access import SIGNED_IN_KEY

    st.session_state["db_url"] = url
    if user is not None:
        st.session_state[SIGNED_IN_KEY] = user
    getattr(pages, page)()
