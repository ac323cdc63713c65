"""The codebook page: the code tree with definitions, colours and memos; codes created and changed here."""

from __future__ import annotations

import streamlit as st

from toolkit.analysis import findings as analysis
from toolkit.coding.codes import (
    code_tree,
    create_code,
    edit_code,
    export_codebook,
    merge_codes,
    move_code,
    recolour_code,
    rename_code,
)
from toolkit.errors import ToolkitError
from toolkit.store.models import Code
from toolkit.ui.components import caption
from toolkit.ui.editing import act, choose_person, memo_panel, show_message
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import Context, context

_TOP = "(top level)"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _edit_codes(ctx: Context, person: str, ids: list[str]) -> None:
    """Create, rename, recolour, move, merge and edit codes: each form runs one audited toolkit call."""
    create, rename, colour, move, merge, edit = st.tabs(
        ["Create", "Rename", "Recolour", "Move", "Merge", "Definition and examples"]
    )
    with create, st.form("code_create"):
        code_id = st.text_input("Id (e.g. root_cause.debt)", key="code_new_id")
        name = st.text_input("Name", key="code_new_name")
        definition = st.text_area("Definition", key="code_new_definition")
        parent = st.selectbox("Parent", [_TOP, *ids], key="code_new_parent")
        new_colour = st.color_picker("Colour", "#888888", key="code_new_colour")
        examples = st.text_area("Examples (one per line)", key="code_new_examples")
        if st.form_submit_button("Create code"):
            act(
                lambda: create_code(
                    ctx.store,
                    person,
                    code_id.strip(),
                    name,
                    definition,
                    parent=None if parent == _TOP else parent,
                    colour=new_colour,
                    examples=_lines(examples),
                ),
                f"Code {code_id} created.",
            )
    with rename, st.form("code_rename"):
        target = st.selectbox("Code", ids, key="code_rename_id")
        name = st.text_input("New name", key="code_rename_name")
        if st.form_submit_button("Rename"):
            act(lambda: rename_code(ctx.store, person, target, name), f"{target} renamed.")
    with colour, st.form("code_recolour"):
        target = st.selectbox("Code", ids, key="code_colour_id")
        value = st.color_picker("Colour", ctx.colours.get(target, "#888888"), key="code_colour_value")
        if st.form_submit_button("Recolour"):
            act(lambda: recolour_code(ctx.store, person, target, value), f"{target} recoloured.")
    with move, st.form("code_move"):
        target = st.selectbox("Code", ids, key="code_move_id")
        parent = st.selectbox("New parent", [_TOP, *ids], key="code_move_parent")
        if st.form_submit_button("Move"):
            act(lambda: move_code(ctx.store, person, target, None if parent == _TOP else parent), f"{target} moved.")
    with merge, st.form("code_merge"):
        source = st.selectbox("Merge this code", ids, key="code_merge_source")
        into = st.selectbox("into", ids, key="code_merge_target")
        st.caption("Its codings, suggestions, memos and child codes move to the second code; the first goes.")
        if st.form_submit_button("Merge"):
            act(lambda: merge_codes(ctx.store, person, source, into), f"{source} merged into {into}.")
    with edit:
        target = st.selectbox("Code", ids, key="code_edit_id")
        with ctx.store.read() as session:
            code = session.get(Code, target)
            current = {k: getattr(code, k) for k in ("definition", "include", "exclude", "examples", "keywords")}
        with st.form(f"code_edit_{target}"):
            definition = st.text_area("Definition", current["definition"], key=f"code_edit_def_{target}")
            lists = {
                k: st.text_area(
                    f"{k.capitalize()} (one per line)", "\n".join(current[k]), key=f"code_edit_{k}_{target}"
                )
                for k in ("include", "exclude", "examples", "keywords")
            }
            if st.form_submit_button("Save definition and examples"):
                act(
                    lambda: edit_code(
                        ctx.store, person, target, definition=definition, **{k: _lines(v) for k, v in lists.items()}
                    ),
                    f"{target} saved.",
                )


def codebook_page() -> None:
    """The code tree with definitions, examples, usage and memos; codes created and changed by the chosen person."""
    ctx = context()
    st.title("Codebook")
    caption(ctx)
    person = choose_person(ctx)
    show_message()
    prevalence = analysis.code_prevalence(ctx.codings, ctx.cases).set_index("code")
    rows = code_tree(ctx.store)
    with ctx.store.read() as session:
        codes = {c.id: c for c in session.query(Code).all()}
    for row in rows:
        code = codes[row.id]
        count = int(prevalence["interviews"].get(code.id, 0)) if not prevalence.empty else 0
        indent = "\u2003" * row.depth + ("\u21b3 " if row.depth else "")
        with st.expander(md_escape(f"{indent}{code.name} ({code.id}) - {count} interviews")):
            st.text(code.definition)
            if code.include:
                st.text("Include: " + " | ".join(code.include))
            if code.exclude:
                st.text("Exclude: " + " | ".join(code.exclude))
            st.text("Examples: " + " | ".join(code.examples))
            st.text("Keywords: " + ", ".join(code.keywords))
            st.caption("Memos")
            memo_panel(ctx, person, "code", code.id, key=f"code_{code.id}")
    if person is None:
        st.info("Choose who you are (sidebar) to create or change codes.")
    else:
        st.subheader("Change codes")
        _edit_codes(ctx, person, [r.id for r in rows])
    try:
        yaml_text = export_codebook(ctx.store)
    except ToolkitError as exc:
        st.caption(md_escape(f"No YAML export: {exc}"))
    else:
        st.download_button("Codebook (YAML)", yaml_text, "codebook.yaml", "application/yaml", key="codebook_yaml")
