"""Widgets for pages that change things: who is working, memos next to what they are about, action messages.

Every change goes through a toolkit function (one audited transaction); a widget only collects input,
runs it, keeps the outcome for the next run's message and reruns. Memo text is shown with ``st.text``
(never as Markdown or HTML).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from toolkit.coding.memos import delete_memo, edit_memo
from toolkit.coding.review import add_coder, add_memo, list_memos
from toolkit.errors import ToolkitError
from toolkit.store.models import MODEL_CODER
from toolkit.store.users import users_configured
from toolkit.ui.access import current_identity
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import Context, keep, remember, remember_widget

__all__ = ["act", "choose_person", "memo_panel", "show_message"]

PERSON_KEY = "workspace_person"


def act(run: Callable[[], object], done: str, key: str = "workspace_message") -> None:
    """Run one toolkit action, keep its outcome (or its one-line error) for the next run, and rerun."""
    try:
        run()
        st.session_state[key] = ("success", done)
    except ToolkitError as exc:
        st.session_state[key] = ("error", str(exc))
    st.rerun()


def show_message(key: str = "workspace_message") -> None:
    """The outcome of the last action, once."""
    message = st.session_state.pop(key, None)
    if message:
        kind, text = message
        (st.success if kind == "success" else st.error)(md_escape(text))


def choose_person(ctx: Context, where=st.sidebar) -> str | None:
    """Who is coding or editing (a named person, never the model); a newcomer adds themselves (audited).

    Once the store has users, it is whoever signed in, if their role may code (else None: read only).
    """
    if users_configured(ctx.store):
        identity = current_identity(ctx.store)
        return identity.name if identity is not None and identity.may("code") else None
    people = [c for c in ctx.coders if c != MODEL_CODER]
    pending = st.session_state.pop("workspace_pending_person", None)
    if pending in people:
        remember(PERSON_KEY, pending)
    if people:
        keep(PERSON_KEY, people)
        person = where.selectbox("You are", people, key=PERSON_KEY, on_change=remember_widget, args=(PERSON_KEY,))
        remember(PERSON_KEY, person)
    else:
        person = None
    with where.expander("New here? Add yourself", expanded=not people):
        name = st.text_input("Your name", key="workspace_new_person").strip()
        if st.button("Add me", key="workspace_add_person"):
            st.session_state["workspace_pending_person"] = name
            act(lambda: add_coder(ctx.store, name, actor=name or "system"), f"{name} added.")
    return person


def memo_panel(ctx: Context, person: str | None, target_type: str, target: str | int, key: str) -> None:
    """The memos on one code, document or coding; the person's own can be edited or deleted, and one added."""
    memos = list_memos(ctx.store, target_type, str(target))
    for memo in memos:
        st.caption(md_escape(f"{memo['coder']}, {memo['created_at'][:16].replace('T', ' ')}"))
        if person is not None and memo["coder"] == person:
            text = st.text_area("Your memo", memo["text"], key=f"{key}_memo_{memo['id']}", label_visibility="collapsed")
            save, delete = st.columns(2)
            if save.button("Save memo", key=f"{key}_save_{memo['id']}"):
                act(functools.partial(edit_memo, ctx.store, person, memo["id"], text), "Memo saved.")
            if delete.button("Delete memo", key=f"{key}_delete_{memo['id']}"):
                act(functools.partial(delete_memo, ctx.store, person, memo["id"]), "Memo deleted.")
        else:
            st.text(memo["text"])
    if person is None:
        return
    text = st.text_area("New memo", key=f"{key}_new_memo")
    if st.button("Add memo", key=f"{key}_add_memo"):
        act(lambda: add_memo(ctx.store, person, target_type, target, text), "Memo added.")
