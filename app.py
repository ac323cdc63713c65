"""survivor-qda dashboard: `streamlit run app.py` opens the store named by QDA_DB (default: the demo project).

Everything shown is computed by the toolkit; this file only wires the pages together. Once the store has
users, nothing but the sign-in form (a password, or the organisation's identity provider when the secrets
have an [auth] section) is served until someone signs in, and the menu holds only the pages their role
may open (toolkit.ui.access; each page checks again itself).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from toolkit.errors import ToolkitError
from toolkit.store.engine import Store
from toolkit.store.users import users_configured
from toolkit.ui import pages
from toolkit.ui.access import PAGE_CAPABILITY, current_identity, login_page, may, sign_out_button
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import display_url, get_store

DEMO_DB = f"sqlite:///{Path(__file__).resolve().parent / 'demo' / 'demo.sqlite'}"
# Bundled, so the browser never asks a font server for the tab icon (":material/...:" icons come from Google).
FAVICON = str(Path(__file__).resolve().parent / "toolkit" / "ui" / "favicon.png")

st.set_page_config(page_title="survivor-qda", page_icon=FAVICON, layout="wide")
st.session_state.setdefault("db_url", os.environ.get("QDA_DB") or DEMO_DB)

PAGES = {
    "overview": st.Page(pages.overview_page, title="Overview", url_path="overview"),
    "root_causes": st.Page(pages.root_causes_page, title="Root causes", url_path="root-causes"),
    "recruitment": st.Page(pages.recruitment_page, title="Recruitment", url_path="recruitment"),
    "contracts": st.Page(pages.contracts_page, title="Contracts and vetting", url_path="contracts"),
    "awareness": st.Page(pages.awareness_page, title="Awareness", url_path="awareness"),
    "quotes": st.Page(pages.quotes_page, title="Quotes", url_path="quotes"),
    "transcript": st.Page(pages.transcript_page, title="Transcript", url_path="transcript"),
    "search": st.Page(pages.search_page, title="Search", url_path="search"),
    "queries": st.Page(pages.queries_page, title="Queries", url_path="queries"),
    "review": st.Page(pages.review_page, title="Review queue", url_path="review"),
    "agreement": st.Page(pages.agreement_page, title="Agreement", url_path="agreement"),
    "codebook": st.Page(pages.codebook_page, title="Codebook", url_path="codebook"),
    "export": st.Page(pages.export_page, title="Export", url_path="export"),
    "users": st.Page(pages.users_page, title="Users and identifiers", url_path="users"),
}
st.session_state["pages"] = PAGES


def _home() -> None:
    """The app root opens the overview at its own URL.

    Streamlit serves the default page at ``/`` only, whatever its ``url_path``, so a default Overview
    made ``/overview`` "Page not found". The default is this hidden page, and every page has its own URL.
    """
    st.switch_page(PAGES["overview"])


HOME = st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden")


def _allowed(keys: tuple[str, ...]) -> list[st.Page]:
    return [PAGES[k] for k in keys if may(PAGE_CAPABILITY[f"{k}_page"], store)]


try:
    store: Store | None = get_store(st.session_state["db_url"])
except ToolkitError:
    store = None  # the page says why, without the URL's password (toolkit.ui.state.context)
identity = current_identity(store) if store is not None else None
if store is not None and users_configured(store) and identity is None:
    st.navigation([st.Page(login_page, title="Sign in", url_path="login", default=True)]).run()
    st.stop()
sections = {
    "Findings": [HOME, *_allowed(("overview", "root_causes", "recruitment", "contracts", "awareness"))],
    "Evidence": _allowed(("quotes", "transcript", "search", "queries")),
    "Coding": _allowed(("review", "agreement", "codebook", "export")),
    "Admin": _allowed(("users",)) if identity is not None else [],
}
navigation = st.navigation(
    {section: items for section, items in sections.items() if items},
    expanded=True,  # every page stays one click away (Streamlit folds a long menu into "View more")
)
if identity is not None:
    sign_out_button(identity)
st.sidebar.caption(f"Store: {md_escape(display_url(st.session_state['db_url']))}")
navigation.run()
