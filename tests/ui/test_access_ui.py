"""Sign-in and roles in the dashboard: a viewer cannot reach raw text through any page or query parameter.

The planted identifiers are those of ``sample_data/identifiers.csv`` that de-identification hides: in a
document's raw text, and nowhere in any de-identified text (an identifier the detector missed is shown
to everyone, whatever their role; that is the detector's recall, measured by bench/bench_deid.py, not
access control). Every page is rendered as a signed-in viewer, with and without query parameters, and no
element's text may contain one of them; an admin who asks does see them.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from google.protobuf import text_format
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from toolkit.corpus.identifiers import document_view
from toolkit.store.engine import open_store
from toolkit.store.models import AuditEvent, Document
from toolkit.store.users import add_user
from toolkit.ui.access import PAGE_CAPABILITY, SIGNED_IN_KEY
from toolkit.ui.harness import PAGE_FUNCTIONS, page_script

from ..conftest import ROOT, SAMPLE
from .test_app import go_to

pytestmark = pytest.mark.model

USERS = {"olga": "admin", "rita": "reviewer", "carl": "coder", "vera": "viewer"}
QUERIES = ({}, {"raw": "1"}, {"raw": "true", "document": "S01"}, {"document": "S01", "mode": "raw", "user": "olga"})


@pytest.fixture
def team_url(demo_url) -> str:
    store = open_store(demo_url)
    try:
        for name, role in USERS.items():
            add_user(store, name, role, f"{name}'s passphrase")
    finally:
        store.close()
    return demo_url


@pytest.fixture
def planted(demo_url) -> dict[str, set[str]]:
    """Document -> the planted identifiers in its raw text that no de-identified text shows."""
    store = open_store(demo_url)
    try:
        with store.read() as session:
            names = list(session.scalars(select(Document.name)))
        raw = {n: document_view(store, n, raw=True).text for n in names}
        shown = "\n".join(document_view(store, n).text for n in names)
    finally:
        store.close()
    out: dict[str, set[str]] = {}
    with open(SAMPLE / "identifiers.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            s = row["string"]
            if row["document"] in raw and s in raw[row["document"]] and s not in shown:
                out.setdefault(row["document"], set()).add(s)
    assert sum(map(len, out.values())) >= 20, "the sample should hide many planted identifiers"
    return out


def every_text(at: AppTest) -> str:
    """Everything an element holds: its proto as UTF-8 text, and a dataframe's cells."""
    parts: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
        try:
            value = node.value
        except Exception:
            value = None
        if isinstance(value, pd.DataFrame):
            parts.append(value.to_csv())
        elif value is not None:
            parts.append(str(value))

    walk(at._tree)
    return "\n".join(parts)


def render(page: str, url: str, user: str | None, query: dict | None = None) -> AppTest:
    at = AppTest.from_function(page_script, args=(page, url, user), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def leaked(text: str, planted: dict[str, set[str]]) -> set[str]:
    return {s for strings in planted.values() for s in strings if s in text}


@pytest.mark.parametrize("page", sorted(PAGE_FUNCTIONS))
def test_access_viewer_sees_no_raw_text_on_any_page(team_url, planted, page):
    for query in QUERIES:
        at = render(page, team_url, "vera", query)
        assert not at.exception, [e.value for e in at.exception]
        assert not leaked(every_text(at), planted), (page, query)
        if PAGE_CAPABILITY[page] != "read":  # not the viewer's: refused, nothing drawn
            assert not at.title and "does not allow" in at.error[0].value
        else:
            assert at.title


def test_access_viewer_sees_no_raw_text_in_any_transcript(team_url, planted):
    for document in sorted(planted):
        at = render("transcript_page", team_url, "vera", {"document": document, "raw": "1"})
        assert not at.exception
        assert at.selectbox(key="transcript_select").value == document
        assert not leaked(every_text(at), planted), document
        with pytest.raises(KeyError):
            at.toggle(key="transcript_raw")  # the raw-text switch is not drawn for a viewer


def test_access_viewer_and_coder_search_shows_pseudonyms_only(team_url, planted):
    for user in ("vera", "carl"):
        at = render("search_page", team_url, user)
        for needle in sorted({s.split()[0] for strings in planted.values() for s in strings})[:5]:
            at.text_input[0].set_value(needle).run()
            assert not at.exception
            assert not leaked(every_text(at), planted), (user, needle)


def test_access_admin_sees_raw_text_when_asking_and_it_is_audited(team_url, planted):
    document = sorted(planted)[0]
    at = render("transcript_page", team_url, "olga", {"document": document})
    assert not leaked(every_text(at), planted)  # de-identified until asked
    at.toggle(key="transcript_raw").set_value(True).run()
    assert not at.exception
    assert planted[document] & leaked(every_text(at), planted)
    store = open_store(team_url)
    try:
        with store.read() as session:
            reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "text.raw")).all()
    finally:
        store.close()
    assert {e.actor for e in reads} == {"system", "olga"}  # the fixture's reads, then olga's
    assert [e.entity_id for e in reads if e.actor == "olga"] == [document]


def test_access_roles_open_their_pages_only(team_url):
    def refused(at: AppTest) -> bool:
        return any("does not allow" in e.value for e in at.error)

    allowed = {
        user: {p for p in PAGE_CAPABILITY if not refused(render(p, team_url, user))}
        for user in ("vera", "carl", "rita")
    }
    reading = {p for p, c in PAGE_CAPABILITY.items() if c == "read"}
    assert allowed["vera"] == reading
    assert allowed["carl"] == reading | {"codebook_page", "export_page"}
    assert allowed["rita"] == reading | {"codebook_page", "export_page", "review_page", "agreement_page"}
    nobody = render("overview_page", team_url, None)  # users exist, nobody signed in
    assert not nobody.title and refused(nobody)


def open_app(url: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["db_url"] = url
    return at.run()


def test_access_app_asks_to_sign_in_and_says_nothing_about_which_part_was_wrong(team_url):
    at = open_app(team_url)
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric
    messages = []
    for name, password in (("vera", "wrong passphrase"), ("nobody", "vera's passphrase")):
        at.text_input(key="login_name").set_value(name)
        at.text_input(key="login_password").set_value(password)
        at.button[0].click().run()
        messages.append([e.value for e in at.error])
        assert [t.value for t in at.title] == ["Sign in"]
    assert messages[0] == messages[1] == ["Wrong user name or password."]
    at.text_input(key="login_name").set_value("vera")
    at.text_input(key="login_password").set_value("vera's passphrase")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state[SIGNED_IN_KEY] == "vera"
    assert [t.value for t in at.title] == ["Overview"]
    for url_path in ("review", "agreement", "codebook", "export", "users"):  # not in a viewer's menu
        go_to(at, url_path)
        assert not at.exception
        assert not {t.value for t in at.title} & {
            "Review queue",
            "Agreement",
            "Codebook",
            "Export",
            "Users and identifiers",
        }, url_path
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in"] and SIGNED_IN_KEY not in at.session_state


def test_access_without_users_the_app_is_as_before(demo_url):
    at = open_app(demo_url)
    assert [t.value for t in at.title] == ["Overview"]
    go_to(at, "review")
    assert [t.value for t in at.title] == ["Review queue"]


def test_access_coder_sees_own_codings_de_identified(team_url, planted):
    """A coder's own codings table and the selection component show pseudonyms, not the planted text."""
    from toolkit.coding.review import add_coding

    document = sorted(planted)[0]
    store = open_store(team_url)
    try:
        raw = document_view(store, document, raw=True).text
        start = min(raw.index(s) for s in planted[document])
        add_coding(store, "carl", document, start, start + 200, "root_cause.family")
    finally:
        store.close()
    at = render("transcript_page", team_url, "carl", {"document": document})
    at.radio(key="transcript_mode").set_value("Code by selection").run()
    assert not at.exception
    assert at.dataframe, "the coder's own codings table is drawn"
    assert not leaked(every_text(at), planted)
