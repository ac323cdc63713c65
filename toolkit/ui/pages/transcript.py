"""The transcript page: one interview, its turns and codings; memos on it; coding by selecting text.

*Read* shows the turns with coded spans in each code's colour (escaped by :mod:`toolkit.ui.highlight`) and
the suggestions. *Code by selection* shows the same turns in the selection component
(:mod:`toolkit.ui.selection`): select a passage with the mouse (or snap it to sentences or turns), pick
codes (searchable, in tree order, in their colours; keys 1-9 for the most used), add a memo, save. Below
it the person's own codings in this interview can be removed or recoded, and the last action undone.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import streamlit as st

from toolkit.analysis.status import document_segments
from toolkit.coding.codes import code_tree
from toolkit.coding.hand_undo import undo_last_coding
from toolkit.coding.review import recode, remove_coding
from toolkit.coding.selection import code_selection, coder_codings, selection_view
from toolkit.corpus.identifiers import DocumentView, document_view
from toolkit.corpus.language import LANGUAGE_NAMES
from toolkit.errors import ToolkitError
from toolkit.suggest.suggestions import suggestion_rows
from toolkit.ui.access import current_identity
from toolkit.ui.components import caption, show_html
from toolkit.ui.editing import act, choose_person, memo_panel, show_message
from toolkit.ui.highlight import Span, highlight_html, md_escape, safe_text
from toolkit.ui.selection import selection_coder
from toolkit.ui.state import Context, context

MODES = ("Read", "Code by selection")


def _read(ctx: Context, name: str, view: DocumentView) -> None:
    segments = document_segments(ctx.store, name)  # de-identified text and speaker labels
    language = ctx.languages.get(name, "")
    codings = ctx.codings[ctx.codings["document"] == name]
    suggestions = suggestion_rows(ctx.store, [name], status=None)
    by_position: dict[int, list[dict]] = {}
    for row in suggestions:
        by_position.setdefault(row["position"], []).append(row)
    legend = " ".join(
        f'<span style="border-bottom:3px solid {ctx.colours.get(c, "#888888")}">{safe_text(ctx.names.get(c, c))}</span>'
        for c in sorted(set(codings["code"]))
    )
    if legend:
        show_html(legend)  # built from escaped text only (safe_text); st.html applies no Markdown
    for segment in segments:
        # Coding offsets point into the original text; the span map moves them onto the de-identified text.
        shown = view.segment(segment["start"], segment["end"])
        spans = [
            Span(
                *shown.span(max(int(start), segment["start"]), min(segment["end"], int(end))),
                str(code),
                ctx.colours.get(str(code), "#888888"),
                str(coder),
            )
            for start, end, code, coder in codings[["start", "end", "code", "coder"]].itertuples(index=False, name=None)
            if start < segment["end"] and end > segment["start"]
        ]
        speaker = safe_text(segment["speaker_label"] or segment["role"])
        body = highlight_html(shown.text, spans)  # escapes the transcript text
        show_html(f'<p lang="{safe_text(language)}"><b>{speaker}</b> &nbsp; {body}</p>')
        for row in by_position.get(segment["position"], []):
            name_ = md_escape(ctx.names.get(row["code"], row["code"]))
            st.caption(f"suggested: {name_} p={row['probability']:.2f} ({row['status']})")


def _code_choices(ctx: Context) -> list[dict]:
    """Codes in tree order with colours; the nine most used get the keys 1-9."""
    used = Counter(ctx.codings["code"]) if not ctx.codings.empty else Counter()
    tree = code_tree(ctx.store)
    ranked = sorted(tree, key=lambda r: (-used.get(r.id, 0), r.id))[:9]
    keys = {row.id: str(i + 1) for i, row in enumerate(ranked)}
    return [{"id": r.id, "name": r.name, "colour": r.colour, "depth": r.depth, "key": keys.get(r.id, "")} for r in tree]


def _code_by_selection(ctx: Context, name: str, person: str) -> None:
    own = coder_codings(ctx.store, person, name)
    shown = selection_view(ctx.store, name)  # the de-identified text; selections map back before storing
    spans = []
    for c in own:
        start, end = shown.span_to_view(c["start"], c["end"])
        spans.append({"start": start, "end": end, "colour": ctx.colours.get(c["code"], "#888888"), "title": c["code"]})
    value = selection_coder(shown.turns, spans, _code_choices(ctx), key=f"select_{name}")
    handled = st.session_state.setdefault("selection_handled", [])
    if value and value.get("action") == "save" and value.get("nonce") not in handled:
        handled.append(value.get("nonce"))
        codes = [str(c) for c in value.get("codes") or []]
        start, end = shown.to_document(int(value["start"]), int(value["end"]))
        act(
            lambda: code_selection(ctx.store, person, name, start, end, codes, value.get("memo")),
            f"Coded {start}-{end} with {', '.join(codes)}.",
        )
    st.subheader("Your codings in this interview")
    if st.button("Undo my last coding action", key="transcript_undo"):
        act(lambda: _undo(ctx, person), "Undone.")
    if not own:
        st.caption("None yet.")
        return
    table = pd.DataFrame(own, columns=["id", "code", "start", "end", "origin", "quote"])
    st.dataframe(table, hide_index=True, width="stretch")
    labels = {c["id"]: f"{c['id']}: {c['code']} {c['start']}-{c['end']}" for c in own}
    chosen = st.selectbox("A coding of yours", list(labels), format_func=lambda i: labels[i], key="own_coding")
    if chosen is None:
        return
    one, two, three = st.columns(3)
    if one.button("Remove it", key="own_remove"):
        act(lambda: remove_coding(ctx.store, person, chosen), f"Coding {chosen} removed.")
    new_code = two.selectbox(
        "Recode to", sorted(ctx.names), key="own_recode_to", format_func=lambda c: f"{ctx.names.get(c, c)} ({c})"
    )
    if three.button("Recode", key="own_recode"):
        act(lambda: recode(ctx.store, person, chosen, new_code), f"Coding {chosen} is now {new_code}.")
    with st.expander("Memos on this coding"):
        memo_panel(ctx, person, "coding", chosen, key=f"coding_{chosen}")


def _undo(ctx: Context, person: str) -> None:
    """Undo the person's last coding action; nothing to undo is said as the action's message."""
    if undo_last_coding(ctx.store, person) is None:
        raise ToolkitError("nothing to undo")


def _raw_view(ctx: Context, name: str) -> DocumentView | None:
    """The text as imported, for a signed-in admin who asks (each read is an audit event); else None."""
    identity = current_identity(ctx.store)
    if identity is None or not identity.may("raw"):
        return None
    if not st.toggle("Show the text as imported (raw; recorded in the audit trail)", key="transcript_raw"):
        return None
    st.warning("Raw text: the identifiers below are real. This read is recorded under your name.")
    return document_view(ctx.store, name, raw=True, actor=identity.name)


def transcript_page() -> None:
    """A transcript's turns with coded spans in the code's colour; suggestions shown apart; coding by selection."""
    ctx = context()
    st.title("Transcript")
    caption(ctx)
    names = sorted(ctx.all_cases["document"])
    if not names:
        st.info("No documents yet.")
        return
    wanted = st.session_state.get("transcript_document") or st.query_params.get("document")
    index = names.index(wanted) if wanted in names else 0
    name = st.selectbox("Document", names, index=index, key="transcript_select")
    language = ctx.languages.get(name, "")
    st.caption(f"Language: {md_escape(LANGUAGE_NAMES.get(language, language) or 'unknown')} ({md_escape(language)})")
    view = document_view(ctx.store, name)
    if not view.replacements:
        st.caption("No identifiers are recorded for this transcript: it is shown as imported.")
    elif not view.reviewed:
        st.warning(
            "Identifiers were replaced by pseudonyms automatically and nobody has reviewed them yet "
            "(`qda deid list`, then `qda deid reviewed DOCUMENT`)."
        )
    mode = st.radio("Mode", MODES, horizontal=True, key="transcript_mode")
    person = choose_person(ctx)
    show_message()
    if mode == MODES[0]:
        _read(ctx, name, _raw_view(ctx, name) or view)  # the view read once above, for the warning too
    elif person is None:
        st.info("Choose who you are (sidebar) or add yourself, then select text to code it.")
    else:
        _code_by_selection(ctx, name, person)
    with st.expander("Memos on this interview"):
        memo_panel(ctx, person, "document", name, key=f"document_{name}")
