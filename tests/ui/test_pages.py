"""Every dashboard page renders on the sample project, shows the key numbers, and filters change them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from toolkit.store.engine import open_store
from toolkit.store.models import Coding, Segment, Suggestion
from toolkit.ui.harness import PAGE_FUNCTIONS, page_script
from toolkit.ui.highlight import md_escape

from .conftest import UNCODED

pytestmark = pytest.mark.model

PAGES = sorted(PAGE_FUNCTIONS)


def render(page: str, url: str) -> AppTest:
    return AppTest.from_function(page_script, args=(page, url), default_timeout=180).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_counts() -> dict[str, int]:
    """Counted from the corpus files, independently of the toolkit."""
    import csv
    import json

    from tests.conftest import SAMPLE

    cases = list(csv.DictReader(open(SAMPLE / "cases.csv", encoding="utf-8")))
    gold = [json.loads(line) for line in open(SAMPLE / "gold_codings.jsonl", encoding="utf-8")]
    signed = [c for c in cases if c["signed_documents"] == "yes"]
    return {
        "n": len(cases),
        "heard": sum(c["heard_of_tip"] == "yes" for c in cases),
        "signed": len(signed),
        "received": sum(c["received_documents"] == "yes" for c in signed),
        "checked": sum(c["checked_employer"] == "yes" for c in signed),
        "education": len(
            {g["document"] for g in gold if "root_cause.education" in g["codes"] and g["document"] not in UNCODED}
        ),
        "women": sum(c["gender"] == "female" for c in cases),
    }


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_without_exception(page, demo_url):
    at = render(page, demo_url)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title


def test_pages_show_the_key_numbers_from_the_data(demo_url):
    want = expected_counts()
    n = want["n"]
    assert metrics(render("awareness_page", demo_url))["Had heard of trafficking before"] == f"{want['heard']} of {n}"
    contracts = metrics(render("contracts_page", demo_url))
    assert contracts["Received their copy (of those who signed)"] == f"{want['received']} of {want['signed']}"
    assert (
        contracts["Checked the employer with the authorities (of those who signed)"]
        == f"{want['checked']} of {want['signed']}"
    )
    root = metrics(render("root_causes_page", demo_url))
    assert root["Forced to change careers by low pay in their field (education)"] == f"{want['education']} of {n}"
    assert metrics(render("recruitment_page", demo_url))["Most common method"] == "Recruited in person"
    at = render("overview_page", demo_url)
    assert metrics(at)["Interviews"] == str(n)
    assert any("Counting:" in c.value and "gold" in c.value and "reference coder" in c.value for c in at.caption)


def test_pages_filters_change_the_numbers(demo_url):
    at = render("overview_page", demo_url)
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    assert metrics(at)["Interviews"] == str(expected_counts()["women"])
    assert any(md_escape("filtered by gender: female") in c.value for c in at.caption)


def test_pages_review_accept_records_the_decision(demo_url):
    at = render("review_page", demo_url)
    caption = next(c.value for c in at.caption if "suggestion" in c.value)
    suggestion_id = int(caption.rsplit("suggestion ", 1)[1])
    at.button(key="review_accept").click().run()
    assert not at.exception
    store = open_store(demo_url)
    with store.read() as session:
        assert session.get(Suggestion, suggestion_id).status == "accepted"
    store.close()


def test_pages_agreement_table(demo_url):
    from tests.conftest import SAMPLE
    from toolkit.coding.codings import import_codings

    store = open_store(demo_url)
    import_codings(store, SAMPLE / "gold_codings.jsonl", coder="second", new_coder=True)
    store.close()
    at = render("agreement_page", demo_url)
    at.multiselect(key="agreement_coders").set_value(["gold", "second"]).run()
    at.button(key="agreement_compute").click().run()
    assert not at.exception
    assert at.dataframe


def card_id(at: AppTest) -> int:
    """The id of the suggestion the review card shows (from its caption)."""
    caption = next(c.value for c in at.caption if "suggestion" in c.value and "turn" in c.value)
    return int(caption.rsplit("suggestion ", 1)[1])


def segment_of(url: str, suggestion_id: int) -> tuple[int, int]:
    store = open_store(url)
    with store.read() as session:
        segment = session.get(Segment, session.get(Suggestion, suggestion_id).segment_id)
        span = (segment.start, segment.end)
    store.close()
    return span


def coding_of(url: str, suggestion_id: int) -> Coding | None:
    store = open_store(url)
    with store.read() as session:
        coding = session.scalar(select(Coding).where(Coding.suggestion_id == suggestion_id))
    store.close()
    return coding


def test_pages_review_adjusts_the_span(demo_url):
    at = render("review_page", demo_url)
    suggestion_id = card_id(at)
    start = at.number_input(key=f"review_start_{suggestion_id}").value
    at.number_input(key=f"review_start_{suggestion_id}").set_value(start + 3)
    at.button(key="review_adjust").click().run()
    assert not at.exception
    coding = coding_of(demo_url, suggestion_id)
    assert coding is not None and coding.start == start + 3


def test_pages_review_span_inputs_belong_to_their_card(demo_url):
    """Issue 9 item 1: "accept with this span" on the second card must not store the first card's offsets."""
    at = render("review_page", demo_url)
    first = card_id(at)
    at.button(key="review_accept").click().run()
    second = card_id(at)
    assert second != first
    at.button(key="review_adjust").click().run()
    assert not at.exception
    coding = coding_of(demo_url, second)
    start, end = segment_of(demo_url, second)
    assert coding is not None and start <= coding.start < coding.end <= end, (coding.start, coding.end, start, end)


def code_ids(url: str) -> list[str]:
    from toolkit.analysis.frames import load_code_names

    store = open_store(url)
    ids = sorted(load_code_names(store))
    store.close()
    return ids


def change_box(at: AppTest):
    return next(r for r in at.button_group if r.label == "Change to")


def test_pages_review_change_to_resets_per_card(demo_url):
    """Issue 9 item 19: a code chosen on one card must not be applied to the next by E."""
    at = render("review_page", demo_url)
    first = card_id(at)
    change_box(at).set_value(code_ids(demo_url)[0]).run()
    assert change_box(at).value == code_ids(demo_url)[0]
    at.button(key="review_reject").click().run()
    second = card_id(at)
    assert second != first
    assert change_box(at).value is None
    at.button(key="review_change").click().run()
    assert not at.exception
    store = open_store(demo_url)
    with store.read() as session:
        assert session.get(Suggestion, second).status == "open"
    store.close()
    assert coding_of(demo_url, second) is None


def test_pages_review_skip_second_code_and_memo(demo_url):
    """Issue 9 item 20: skip a card; add another code and a memo from the card."""
    from toolkit.coding.review import list_memos

    at = render("review_page", demo_url)
    first = card_id(at)
    at.button(key="review_skip").click().run()
    assert card_id(at) != first
    second = card_id(at)
    start, end = segment_of(demo_url, second)
    other = next(s for s in at.selectbox if s.label == "Another code for this turn")
    code = code_ids(demo_url)[-1]
    other.set_value(code).run()
    at.button(key="review_add_coding").click().run()
    at.text_area(key=f"review_memo_{second}").set_value("Paid $200 and $300; see turn 6").run()
    at.button(key="review_add_memo").click().run()
    assert not at.exception
    assert any("Memo saved" in i.value for i in at.info), [i.value for i in at.info]
    store = open_store(demo_url)
    with store.read() as session:
        assert session.get(Suggestion, first).status == "open"
        added = session.scalars(select(Coding).where(Coding.start == start, Coding.end == end)).all()
        assert any(c.code_id == code and c.origin == "human" for c in added)
    memos = list_memos(store)
    who = at.selectbox(key="reviewer").value
    assert any(m["text"] == "Paid $200 and $300; see turn 6" and m["coder"] == who for m in memos), memos
    store.close()


def test_pages_review_a_new_reviewer_adds_themselves(demo_url):
    """Issue 9 item 21: no CLI needed to become a reviewer; the addition is in the audit trail."""
    from toolkit.coding.review import audit_trail

    at = render("review_page", demo_url)
    at.text_input(key="review_new_reviewer").set_value("new reviewer").run()
    at.button(key="review_add_reviewer").click().run()
    assert not at.exception
    assert at.selectbox(key="reviewer").value == "new reviewer"
    store = open_store(demo_url)
    assert any(e["action"] == "coder.add" and e["actor"] == "new reviewer" for e in audit_trail(store))
    store.close()


def blind(url: str) -> None:
    from toolkit.coding.review import set_blind

    store = open_store(url)
    set_blind(store, True)
    store.close()


def test_pages_blind_mode_coder_choice_offers_single_coders_only(demo_url):
    """Issue 9 item 2: in blind mode nobody can pick everyone's codings in the dashboard."""
    blind(demo_url)
    for page in ("overview_page", "quotes_page", "review_page"):
        at = AppTest.from_function(page_script, args=(page, demo_url), default_timeout=60)
        at.session_state["kept_choices"] = {"coder_choice": "all coders"}  # chosen before blind mode was on
        at.run()
        assert not at.exception, page
        box = at.sidebar.selectbox(key="coder_choice")
        assert "all coders" not in box.options and "accepted suggestions" not in box.options
        assert box.value in box.options


def test_pages_blind_mode_refusal_is_a_message_not_a_traceback(store):
    """Blind mode with nobody to choose: the policy's message, no traceback."""
    from toolkit.coding.review import set_blind

    set_blind(store, True)
    at = AppTest.from_function(page_script, args=("overview_page", str(store.engine.url)), default_timeout=60).run()
    assert not at.exception
    assert any("blind mode is on" in e.value for e in at.error)


def test_pages_blind_mode_export_gives_only_the_chosen_coders_codings(demo_url, monkeypatch):
    """Issue 9 item 2: the Export page's downloads hold the chosen coder's codings only, in blind mode."""
    import csv
    import io

    import streamlit

    from toolkit.coding.review import add_coding

    store = open_store(demo_url)
    add_coding(store, "reviewer", "S01", 0, 5, "root_cause.family")
    store.close()
    blind(demo_url)
    downloads: dict[str, object] = {}

    def record(label, data, *args, **kwargs):
        downloads[kwargs.get("key") or label] = data

    monkeypatch.setattr(streamlit, "download_button", record)
    at = AppTest.from_function(page_script, args=("export_page", demo_url), default_timeout=60).run()
    assert not at.exception
    for coder in at.sidebar.selectbox(key="coder_choice").options:
        at.sidebar.selectbox(key="coder_choice").set_value(coder).run()
        assert not at.exception
        rows = list(csv.DictReader(io.StringIO(downloads["export_csv"]())))
        assert {r["coder"] for r in rows} <= {coder}
        lines = [line for line in downloads["export_jsonl"]().splitlines() if line]
        assert all(f'"coder": "{coder}"' in line for line in lines)


def test_pages_matrix_download_is_formula_safe(demo_url, monkeypatch):
    """Issue 9 item 11: the dashboard's CSV downloads neutralise formula cells."""
    import streamlit

    store = open_store(demo_url)
    with store.transaction() as tx:
        from toolkit.store.models import Document

        # Three interviews: a group of one would be merged into "other (groups under 3)" and never exported.
        for name in ("S01", "S02", "S03"):
            document = tx.session.scalar(select(Document).where(Document.name == name))
            document.attributes = {**document.attributes, "gender": '=HYPERLINK("http://x.invalid")'}
    store.close()
    downloads: dict[str, object] = {}
    monkeypatch.setattr(
        streamlit, "download_button", lambda label, data, *a, **k: downloads.__setitem__(k["key"], data)
    )
    at = AppTest.from_function(page_script, args=("export_page", demo_url), default_timeout=60).run()
    assert not at.exception
    matrix = downloads["export_matrix"]()
    assert "'=HYPERLINK" in matrix and ",=HYPERLINK" not in matrix


def test_pages_say_why_there_is_nothing_to_show(demo_url):
    """Issue 9 item 15: a coder without codings gets a sentence, not empty axes."""
    for page in ("root_causes_page", "recruitment_page"):
        at = render(page, demo_url)
        at.sidebar.selectbox(key="coder_choice").set_value("reviewer").run()
        assert not at.exception
        assert any("Nothing to show" in i.value and "reviewer" in i.value for i in at.info), page
        assert not at.get("plotly_chart"), page


def test_pages_show_data_verbatim_not_as_markdown(demo_url, tmp_path, blank_nlp):
    """Issue 9 item 8: Markdown in the data reaches no Markdown renderer unescaped."""
    import re

    from toolkit.corpus.importer import import_files

    hostile = "![x](http://attacker.invalid/t.png) paid $200 and $300 :red[alert] [c](javascript:alert(1))"
    path = tmp_path / "MD01.txt"
    path.write_text(f"Interviewer: {hostile}?\n\nRespondent: {hostile}\n", encoding="utf-8")
    store = open_store(demo_url)
    import_files(store, [path], nlp=blank_nlp)
    from toolkit.coding.review import add_coding

    add_coding(store, "reviewer", "MD01", 0, 20, "root_cause.family")
    store.close()
    unescaped = re.compile(r"(?<!\\)[$!\[]")
    for page in PAGES:
        at = AppTest.from_function(page_script, args=(page, demo_url), default_timeout=60)
        at.session_state["transcript_document"] = "MD01"
        at.run()
        assert not at.exception, page
        shown = [*at.markdown, *at.caption, *at.subheader, *at.title, *at.info, *at.metric, *at.expander]
        for element in shown:
            text = getattr(element, "value", None) or getattr(element, "label", "")
            if "attacker" in str(text) or "200" in str(text):
                assert not unescaped.search(str(text)), (page, text)


def test_pages_review_decision_on_a_card_someone_changed_meanwhile_is_refused_naming_them(demo_url):
    from toolkit.coding.review import add_coder, decide, undo_last

    at = render("review_page", demo_url)
    shown = card_id(at)
    store = open_store(demo_url)
    add_coder(store, "dana")
    decide(store, "dana", shown, "accept")  # in another browser, while this card is on screen
    undo_last(store, "dana")
    at.button(key="review_accept").click().run()
    assert not at.exception
    assert any(md_escape("dana (suggestion.undo") in i.value for i in at.info), [i.value for i in at.info]
    with store.read() as session:
        assert session.get(Suggestion, shown).status == "open"
    store.close()


def test_pages_review_click_never_lands_on_a_card_nobody_looked_at(demo_url):
    from toolkit.coding.review import add_coder, decide

    at = render("review_page", demo_url)
    shown = card_id(at)
    store = open_store(demo_url)
    add_coder(store, "dana")
    decide(store, "dana", shown, "reject")  # the card leaves the queue under the reviewer's click
    at.button(key="review_accept").click().run()
    messages = [i.value for i in at.info]
    assert any(md_escape(f"Suggestion {shown},") in m and "dana" in m for m in messages), messages
    with store.read() as session:
        assert session.get(Suggestion, shown).status == "rejected"
        assert session.scalar(select(Coding).where(Coding.suggestion_id.isnot(None))) is None
    store.close()


def test_pages_export_downloads_report_of_the_current_view_and_exchange_files(demo_url, monkeypatch):
    """Issue 15: "Download report" gives the current view (filters, whose codings) as Word and offline HTML."""
    import io
    import zipfile

    import streamlit
    from docx import Document as WordDocument
    from openpyxl import load_workbook

    downloads: dict[str, object] = {}
    monkeypatch.setattr(
        streamlit, "download_button", lambda label, data, *a, **k: downloads.__setitem__(k["key"], data)
    )
    monkeypatch.setattr(
        streamlit.delta_generator.DeltaGenerator,
        "download_button",
        lambda self, label, data, *a, **k: downloads.__setitem__(k["key"], data),
    )
    at = AppTest.from_function(page_script, args=("export_page", demo_url), default_timeout=60).run()
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    assert not at.exception
    word = WordDocument(io.BytesIO(downloads["export_report_docx"]()))
    first = [p.text for p in word.paragraphs[:10]]
    assert "Filters: gender: female" in first
    assert any(t.startswith("Whose codings count: gold") for t in first)
    html = downloads["export_report_html"]().decode()
    assert "Filters: gender: female" in html and "<script src" not in html
    assert load_workbook(io.BytesIO(downloads["export_xlsx"]())).sheetnames[0] == "about"
    with zipfile.ZipFile(io.BytesIO(downloads["export_qdpx"]())) as archive:
        assert "project.qde" in archive.namelist()


def test_pages_compare_by_any_attribute_marks_small_groups(demo_url):
    """Issue 15: comparisons by any attribute, each group's size on the chart, small groups marked."""
    import json

    at = render("root_causes_page", demo_url)
    before = len(at.get("plotly_chart"))
    at.multiselect(key="rc_compare").set_value(["destination"]).run()
    assert not at.exception
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(charts) == before - 1  # gender and exploitation type replaced by destination
    labels = {x for chart in charts for trace in chart["data"] for x in trace.get("x") or [] if isinstance(x, str)}
    # Kazakhstan (one interview) and the other groups under 3 people are merged, and marked small together.
    assert "Russia (n=12)" in labels and "other (groups under 3) (n=4, small)" in labels
    assert not any(label.startswith("Kazakhstan") for label in labels)
    assert any("marked 'small'" in c.value for c in at.caption)
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert titles and all("Counting gold" in t and "filtered by gender: female" in t for t in titles)


def test_pages_agreement_learning_curve(demo_url, monkeypatch):
    """The learning curve on the agreement page: one row per number of coded interviews, shares in [0, 1]."""
    import toolkit.suggest.evaluate as evaluate_module
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.lemmas import SimpleLemmatizer

    monkeypatch.setattr(evaluate_module, "select_embedder", lambda spec=None, **_: HashingEmbedder())
    monkeypatch.setattr(evaluate_module, "select_lemmatizer", lambda spec=None: SimpleLemmatizer())
    at = render("agreement_page", demo_url)
    at.selectbox(key="curve_coder").set_value("gold").run()
    at.number_input(key="curve_orders").set_value(1).run()
    at.button(key="curve_compute").click().run()
    assert not at.exception, [e.value for e in at.exception]
    frame = at.dataframe[0].value
    coded = 26 - len(UNCODED)  # the learning curve stops at all coded interviews but one
    assert list(frame["coded interviews"]) == [0, 1, 2, 4, 8, 13, min(25, coded - 1)]
    assert frame["turns right"].between(0, 1).all() and frame["micro-F1"].between(0, 1).all()
    # the reading against the codebook alone (the 0 point), as a caption, or a warning where learning did worse
    baseline = f"codebook alone: micro-F1 {frame['micro-F1'].iloc[0]:.3f}"
    shown = [c.value for c in at.caption] + [w.value for w in at.warning]
    assert any(baseline in text for text in shown), shown
    # each code scored on interviews the model did not learn from, weakest first, with its interval
    at.button(key="per_code_compute").click().run()
    assert not at.exception, [e.value for e in at.exception]
    codes = at.dataframe[1].value
    assert len(codes) == 16 and list(codes["F1"]) == sorted(codes["F1"])
    assert codes["F1 interval"].str.fullmatch(r"\d\.\d\d-\d\.\d\d|n/a").all()
    assert any("All codes: micro-F1" in c.value for c in at.caption)


def test_pages_review_suggest_codes_and_live_reorder(demo_url, monkeypatch):
    """'Suggest codes' fills the documents without suggestions; the live toggle refits after a decision."""
    import toolkit.suggest.live as live_module
    import toolkit.suggest.suggestions as suggestions_module
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.lemmas import SimpleLemmatizer
    from toolkit.suggest.suggestions import documents_without_suggestions

    for module in (suggestions_module, live_module):
        monkeypatch.setattr(module, "select_embedder", lambda spec=None, **_: HashingEmbedder())
        monkeypatch.setattr(module, "select_lemmatizer", lambda spec=None: SimpleLemmatizer())
    store = open_store(demo_url)
    missing_before = documents_without_suggestions(store)
    store.close()
    assert missing_before
    import numpy as np

    from toolkit.suggest.estimator import CodeSuggester

    def first_missing_is_unlike(model: CodeSuggester) -> np.ndarray:
        groups = model.groups_
        if groups is None:
            return np.zeros(model.n_rows_, dtype=bool)
        return np.array([d == missing_before[0] for d in groups[: model.n_rows_]])

    monkeypatch.setattr(CodeSuggester, "unfamiliar_turns", first_missing_is_unlike)
    at = render("review_page", demo_url)
    at.button(key="review_suggest").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # Every document without suggestions was scored; what the people had already coded is left out, so
    # the count of new suggestions depends on the fixture's codings, not on the button.
    messages = [i.value for i in at.info]
    assert any(f"for {len(missing_before)} documents" in m and "left out" in m for m in messages), messages
    from toolkit.ui.highlight import md_escape

    note = md_escape(f"1 interview is unlike the coded ones ({missing_before[0]})")
    assert any(note in m for m in messages), messages
    at.toggle(key="review_live").set_value(True).run()
    assert any("learnt from 0 decisions" in c.value for c in at.caption)
    at.button(key="review_reject").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("learnt from 1 decisions" in c.value for c in at.caption)


def test_pages_review_card_says_how_the_codebooks_own_suggestions_fared(demo_url):
    """The card's reasons include how often the codebook's own suggestion of the code was applied."""
    at = render("review_page", demo_url)
    suggestion_id = card_id(at)
    lines = [t.value for t in at.text]
    record = [line for line in lines if line.startswith("the codebook alone would suggest it on ")]
    store = open_store(demo_url)
    with store.read() as session:
        why = session.get(Suggestion, suggestion_id).explanation or {}
    store.close()
    # the demo's suggestions come from a model that learnt from coded turns, so the record is there
    assert why.get("codebook_suggested"), why
    assert record == [
        f"the codebook alone would suggest it on {why['codebook_suggested']} coded turns;"
        f" people applied it on {why['codebook_applied']}"
    ]
    assert 0 <= why["codebook_applied"] <= why["codebook_suggested"]
