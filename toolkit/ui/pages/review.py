"""The review queue: one card per suggestion, decisions recorded for the chosen reviewer."""

from __future__ import annotations

import streamlit as st

from toolkit.coding.review import (
    AlreadyDecidedError,
    add_coder,
    add_coding,
    add_memo,
    decide,
    explanation_lines,
    last_change,
    suggestion_context,
    undo_last,
)
from toolkit.errors import ToolkitError
from toolkit.store.models import MODEL_CODER, Suggestion
from toolkit.suggest.live import decision_labels
from toolkit.suggest.suggestions import documents_without_suggestions, review_queue, suggest
from toolkit.ui.access import current_identity
from toolkit.ui.components import (
    show_html,
)
from toolkit.ui.highlight import md_escape, safe_text
from toolkit.ui.state import Context, context, keep, remember, remember_widget


def _reviewer(ctx: Context) -> str | None:
    """Who decides: whoever signed in once the store has users; else chosen (or added) here."""
    identity = current_identity(ctx.store)
    if identity is not None:
        st.caption(f"Reviewer: {md_escape(identity.name)} (signed in)")
    else:
        reviewers = [c for c in ctx.coders if c != MODEL_CODER]
        _add_reviewer(ctx, reviewers)
    message = st.session_state.pop("review_message", None)
    if message:
        st.info(md_escape(message))
    if identity is not None:
        return identity.name
    if not reviewers:
        st.info("Add yourself as a reviewer above to start.")
        return None
    pending = st.session_state.pop("review_pending_reviewer", None)
    if pending in reviewers:
        remember("reviewer", pending)
    keep("reviewer", reviewers)
    reviewer = st.selectbox("Reviewer", reviewers, key="reviewer", on_change=remember_widget, args=("reviewer",))
    remember("reviewer", reviewer)
    return reviewer


def _add_reviewer(ctx: Context, reviewers: list[str]) -> None:
    """Let a new reviewer add themselves (an audited action: ``coder.add`` by that reviewer)."""
    with st.expander("New reviewer? Add yourself", expanded=not reviewers):
        name = st.text_input("Your name", key="review_new_reviewer")
        if st.button("Add me as a reviewer", key="review_add_reviewer"):
            try:
                add_coder(ctx.store, name.strip(), actor=name.strip() or "system")
                st.session_state["review_pending_reviewer"] = name.strip()
                st.session_state["review_message"] = f"Reviewer {name.strip()} added."
            except ToolkitError as exc:
                st.session_state["review_message"] = str(exc)
            st.rerun()


def _review_card(ctx: Context, item: dict) -> None:
    """The suggestion with the turns around it, shown verbatim."""
    st.subheader(f"{md_escape(ctx.names.get(item['code'], item['code']))} - probability {item['probability']:.2f}")
    st.caption(f"{md_escape(item['document'])}, turn {item['segment']['position']} - suggestion {item['id']}")
    for turn in item["before"]:
        st.text(f"{turn['speaker'] or turn['role']}: {turn['text']}")
    show_html(
        f"<p><b>{safe_text(item['segment']['speaker'] or 'Respondent')}:</b> {safe_text(item['segment']['text'])}</p>"
    )
    for turn in item["after"]:
        st.text(f"{turn['speaker'] or turn['role']}: {turn['text']}")
    already = item.get("codes_on_turn") or []
    if already:
        st.markdown(
            "Already on this turn: "
            + "; ".join(
                f"{md_escape(ctx.names.get(c['code'], c['code']))} ({md_escape(', '.join(c['coders']))})"
                for c in already
            )
        )
    else:
        st.caption("No codes on this turn yet.")
    with st.expander("Why this suggestion", expanded=True):
        for line in explanation_lines(item["explanation"]):
            st.text(line)


def _decide(ctx: Context, reviewer: str, item: dict) -> None:
    """Accept, reject, change, adjust or skip the card; every input is keyed by the suggestion's id.

    Keying by id gives each card fresh inputs: a span or a "Change to" code chosen on one card can never
    be applied to the next. The new code is a row of pills (buttons): Streamlit ignores shortcut keys while
    any <input> has the focus, and a selectbox or a radio keeps it after a choice, so E did nothing.

    A click reruns the page, which reads the queue afresh; the decision goes to the card the reviewer was
    *shown* (id and version kept from the previous run), with that version, so a suggestion someone else
    changed meanwhile is refused naming them, and a click never lands on a card nobody looked at.
    """
    sid = item["id"]
    shown = st.session_state.get("review_shown") or (sid, item["version"])
    st.session_state["review_shown"] = (sid, item["version"])
    codes = sorted(ctx.names)
    a, r, c, n = st.columns(4)  # the buttons, drawn above the choices below
    with st.expander("Change to another code (choose one, then E or Change code)"):
        new_code = st.pills(
            "Change to",
            codes,
            selection_mode="single",
            key=f"review_new_code_{sid}",
            format_func=lambda x: md_escape(ctx.names.get(x, x)),
        )
    action: tuple[str, str | None] | None = None
    if a.button("Accept", key="review_accept", type="primary", shortcut="a"):
        action = ("accept", None)
    if r.button("Reject", key="review_reject", shortcut="d"):
        action = ("reject", None)
    if c.button("Change code", key="review_change", shortcut="e"):
        action = ("change", new_code)
    if n.button("Skip", key="review_skip", shortcut="n", help="Decide later; it stays open for everyone."):
        st.session_state.setdefault("review_skipped", []).append(sid)
        st.session_state["review_message"] = f"Skipped suggestion {sid}."
        st.rerun()
    with st.expander("Accept a narrower or wider span"):
        left, right, go = st.columns(3)
        start = left.number_input("start", value=item["start"], step=1, key=f"review_start_{sid}")
        end = right.number_input("end", value=item["end"], step=1, key=f"review_end_{sid}")
        if go.button("Accept with this span", key="review_adjust"):
            action = ("adjust", None)
    with st.expander("Add another code or a memo"):
        other = st.selectbox(
            "Another code for this turn",
            codes,
            index=None,
            placeholder="choose a code",
            key=f"review_add_code_{sid}",
            format_func=lambda x: ctx.names.get(x, x),
        )
        if st.button("Add this code to the turn", key="review_add_coding"):
            _act(
                lambda: add_coding(ctx.store, reviewer, item["document"], item["start"], item["end"], str(other)),
                f"Added {other} to turn {item['segment']['position']}." if other else "",
                other is not None,
            )
        memo = st.text_area("Memo on this interview", key=f"review_memo_{sid}")
        if st.button("Save memo", key="review_add_memo"):
            _act(lambda: add_memo(ctx.store, reviewer, "document", item["document"], memo), "Memo saved.", True)
    if action:
        if action[0] == "change" and not action[1]:
            st.session_state["review_message"] = "Choose the code to change to first (under Change to another code)."
            st.rerun()
        if shown[0] != sid:
            st.session_state["review_message"] = _moved_on(ctx, shown[0])
            st.rerun()
        span = {"start": int(start), "end": int(end)} if action[0] == "adjust" else {}

        def run() -> None:
            decide(ctx.store, reviewer, sid, action[0], new_code=action[1], expected_version=shown[1], **span)
            live = st.session_state.get("review_live_model")
            if live is not None and st.session_state.get("review_live"):
                live.record(item["segment_id"], decision_labels(action[0], item["code"], action[1]))

        _act(run, f"{action[0]}: suggestion {sid} decided.", True)


def _live_model(ctx: Context):
    """The session's live model (fitted on first use, then refit per decision), or None if it cannot be built."""
    from toolkit.suggest.live import LiveModel

    live = st.session_state.get("review_live_model")
    if live is None:
        try:
            with st.spinner("Fitting the model for this session..."):
                live = LiveModel(ctx.store)
        except ToolkitError as exc:
            st.warning(md_escape(str(exc)))
            return None
        st.session_state["review_live_model"] = live
    return live


def _suggest_section(ctx: Context) -> None:
    """Suggest codes for documents that have none yet, with a progress bar."""
    missing = documents_without_suggestions(ctx.store)
    if not missing:
        return
    st.write(
        f"{len(missing)} documents have no suggestions yet: {md_escape(', '.join(missing[:10]))}"
        + (" ..." if len(missing) > 10 else "")
    )
    if st.button("Suggest codes", key="review_suggest", help="Embeds new text (cached), fits, stores suggestions."):
        bar = st.progress(0.0, text="starting")

        def progress(share: float, step: str) -> None:
            bar.progress(min(share, 1.0), text=step)

        try:
            report = suggest(ctx.store, documents=missing, on_progress=progress)
        except ToolkitError as exc:
            st.session_state["review_message"] = str(exc)
        else:
            st.session_state["review_message"] = (
                f"{report.suggestions} suggestions for {len(missing)} documents "
                f"({report.already_coded} left out: already coded by a person). {report.unfamiliar_note()}"
            ).strip()
        st.session_state.pop("review_live_model", None)
        st.rerun()


def _moved_on(ctx: Context, shown_id: int) -> str:
    """Why the card changed under the reviewer's click: who changed the suggestion they were looking at."""
    with ctx.store.read() as session:
        row = session.get(Suggestion, shown_id)
        state = row.status if row else "removed"
        who = last_change(session, "suggestion", shown_id)
    return (
        f"Suggestion {shown_id}, the one you were looking at, is now {state} ({who}); nothing was decided. "
        "This is the next open one: look at it, then decide."
    )


def _act(run, done: str, ready: bool) -> None:
    """Run one toolkit action, keep its outcome (or its error) for the next run's message, and rerun."""
    if not ready:
        st.session_state["review_message"] = "Choose a code first."
        st.rerun()
    try:
        run()
        st.session_state["review_message"] = done
    except (AlreadyDecidedError, ToolkitError) as exc:
        st.session_state["review_message"] = str(exc)
    st.rerun()


def review_page() -> None:
    """The review queue: one suggestion at a time with its context; accept, reject, change, skip, undo."""
    ctx = context()
    st.title("Review queue")
    st.caption(
        "Keys: a accept, d decline (reject), e change to the chosen code, n skip, u undo your last decision "
        "(r and c are Streamlit's own)."
    )
    reviewer = _reviewer(ctx)
    if reviewer is None:
        return
    _suggest_section(ctx)
    order = st.radio("Order", ["uncertainty", "document"], horizontal=True, key="review_order")
    live_on = st.toggle(
        "Reorder as I review (the model learns from each decision in this session)",
        key="review_live",
        help="Refits only the code you decided (well under a second) and rescores the queue; the stored "
        "suggestions are not changed.",
    )
    skipped = st.session_state.setdefault("review_skipped", [])
    queue = [q for q in review_queue(ctx.store, order) if q["id"] not in skipped]
    live = _live_model(ctx) if live_on else None
    if live is not None and order == "uncertainty":
        queue = live.reorder(queue)
        st.caption(f"Live order: the model has learnt from {live.decisions} decisions in this session.")
    st.write(f"{len(queue)} open suggestions" + (f" ({len(skipped)} skipped)" if skipped else ""))
    if skipped and st.button("Show the skipped ones again", key="review_unskip"):
        skipped.clear()
        st.rerun()
    if st.button("Undo my last decision", key="review_undo", shortcut="u"):
        undone = undo_last(ctx.store, reviewer)
        st.session_state["review_message"] = "Undone." if undone else "Nothing to undo."
        st.rerun()
    if not queue:
        return
    item = suggestion_context(ctx.store, queue[0]["id"], reviewer=reviewer)
    _review_card(ctx, item)
    _decide(ctx, reviewer, item)
