"""Small-number suppression on a filtered page: group sizes and small cells are judged within the filter."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

from streamlit.testing.v1 import AppTest

from tests.conftest import SAMPLE
from toolkit.ui.harness import page_script
from toolkit.ui.highlight import md_escape


def _labels(at: AppTest) -> dict[str, list[str]]:
    """Chart title -> the x labels of its bars."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        labels = [x for trace in spec["data"] for x in trace.get("x") or [] if isinstance(x, str)]
        out[spec["layout"]["title"]["text"]] = labels
    return out


def test_filtered_page_judges_groups_and_cells_within_the_filter(demo_url):
    with (SAMPLE / "cases.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    women = Counter(r["exploitation_type"] for r in rows if r["gender"] == "female")
    everyone = Counter(r["exploitation_type"] for r in rows)
    at = AppTest.from_function(page_script, args=("root_causes_page", demo_url), default_timeout=60).run()
    at.multiselect(key="rc_compare").set_value(["exploitation_type"]).run()
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    assert not at.exception
    charts = {t: labels for t, labels in _labels(at).items() if "exploitation" in t.lower()}
    assert charts, _labels(at)
    sizes = {}
    for labels in charts.values():
        for label in labels:
            found = re.match(r"(.+) \(n=(\d+)", label)
            if found:
                sizes[found.group(1)] = int(found.group(2))
    # The group sizes are the women's, not the whole sample's, and no group of 1 or 2 women stands alone.
    assert sizes == {value: n for value, n in women.items() if n >= 3}
    assert sizes != {value: n for value, n in everyone.items() if n >= 3}
    # The cells: the page says what the library says of the filtered frames, not of the whole sample.
    captions = [c.value for c in at.caption]
    filtered, whole = _notes(demo_url, "exploitation_type", gender=["female"]), _notes(demo_url, "exploitation_type")
    assert filtered != whole and "not shown" in filtered
    assert any(md_escape(filtered) in c for c in captions), captions
    assert not any(md_escape(whole) in c for c in captions)


def _view(url: str, **filters: list[str]):
    """(codings, cases) of the store at ``url`` as the sidebar's ``filters`` select them."""
    from toolkit.analysis import findings
    from toolkit.analysis.frames import load_frames
    from toolkit.store.engine import open_store

    store = open_store(url)
    try:
        codings, cases = load_frames(store)
    finally:
        store.close()
    cases = findings.filter_cases(cases, **filters)
    return findings.filter_codings(codings, cases), cases


def _notes(url: str, attribute: str, **filters: list[str]) -> str:
    from toolkit.analysis import findings
    from toolkit.analysis.disclosure import protected_code_by_attribute
    from toolkit.studies.snapshot import ROOT_CAUSE_PREFIX

    codings, cases = _view(url, **filters)
    prevalence = findings.code_prevalence(codings, cases)
    codes = [c for c in prevalence["code"] if c.startswith(ROOT_CAUSE_PREFIX)]
    return protected_code_by_attribute(codings, cases, attribute, codes).attrs["suppression"]


def _funnel(url: str, **filters: list[str]) -> dict:
    from toolkit.studies import snapshot

    codings, cases = _view(url, **filters)
    return snapshot.contract_funnel(cases, codings)


def test_filtered_headline_numbers_about_one_or_two_people_are_not_shown(demo_url):
    from toolkit.analysis.disclosure import reveals_few

    labels = {
        "Signed documents": ("signed", "n"),
        "Received their copy (of those who signed)": ("received", "signed"),
        "Checked the employer with the authorities (of those who signed)": ("checked_employer", "signed"),
    }
    at = AppTest.from_function(page_script, args=("contracts_page", demo_url), default_timeout=60).run()
    whole = {m.label: m.value for m in at.metric}
    funnel = _funnel(demo_url)
    assert whole == {label: md_escape(f"{funnel[c]} of {funnel[n]}") for label, (c, n) in labels.items()}
    hidden_somewhere = False
    for gender in ("female", "male"):
        at.sidebar.multiselect(key="filter_gender").set_value([gender]).run()
        assert not at.exception
        funnel = _funnel(demo_url, gender=[gender])
        shown = {m.label: m.value for m in at.metric}
        signed_hidden = reveals_few(funnel["signed"], funnel["n"], 3)  # "4 of <signed>" would give it back
        for label, (count, n) in labels.items():
            hidden = reveals_few(funnel[count], funnel[n], 3) or (n == "signed" and signed_hidden)
            hidden_somewhere |= hidden
            assert shown[label] == ("not shown" if hidden else md_escape(f"{funnel[count]} of {funnel[n]}")), label
        text = " ".join(m.value for m in at.markdown)
        for key, words in (("substituted", "Substituted contracts"), ("promised", "promised for later")):
            if reveals_few(funnel[key], funnel["n"], 3):
                assert f"{funnel[key]} interviews" not in text.split(words, 1)[1][:40], (gender, key)
    assert hidden_somewhere, "the sample no longer has a small filtered number: the test checks nothing"


def test_a_filter_leaving_one_or_two_interviews_shows_no_finding(demo_url):
    with (SAMPLE / "cases.csv").open(encoding="utf-8") as handle:
        sizes = Counter(r["destination"] for r in csv.DictReader(handle))
    lone = next(value for value, n in sorted(sizes.items()) if n < 3)
    for page in ("awareness_page", "contracts_page", "root_causes_page", "recruitment_page"):
        at = AppTest.from_function(page_script, args=(page, demo_url), default_timeout=60).run()
        assert at.metric, page  # unfiltered: the numbers are there
        at.sidebar.multiselect(key="filter_destination").set_value([lone]).run()
        assert not at.exception
        assert not at.metric and not at.get("plotly_chart"), page
        assert any("fewer than 3" in i.value for i in at.info), page


def test_filtered_overall_charts_hide_bars_about_one_or_two_people(demo_url):
    from toolkit.analysis import findings
    from toolkit.analysis.disclosure import reveals_few
    from toolkit.studies.snapshot import ROOT_CAUSE_PREFIX

    women_codings, women = _view(demo_url, gender=["female"])
    prevalence = findings.code_prevalence(women_codings, women)
    expected = {
        r.code: reveals_few(int(r.interviews), len(women), 3)
        for r in prevalence.itertuples()
        if r.code.startswith(ROOT_CAUSE_PREFIX)
    }
    assert any(expected.values()) and not all(expected.values()), expected
    at = AppTest.from_function(page_script, args=("root_causes_page", demo_url), default_timeout=60).run()
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    spec = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "each code occurs" in json.loads(c.proto.spec)["layout"]["title"]["text"]
    )
    bars = spec["data"][0]
    got = {row[0]: row[3] is None for row in bars["customdata"]}
    assert got == expected
    assert [y.endswith("(not shown)") for y in bars["y"]] == [got[row[0]] for row in bars["customdata"]]
    assert all(x is None for x, row in zip(bars["x"], bars["customdata"]) if row[3] is None)
    heatmap = next(
        json.loads(c.proto.spec)["data"][0]
        for c in at.get("plotly_chart")
        if "same interviews" in json.loads(c.proto.spec)["layout"]["title"]["text"]
    )
    together = findings.cooccurrence(women_codings, heatmap["y"])
    want = [["-" if reveals_few(int(v), len(women), 3) else str(int(v)) for v in row] for row in together.to_numpy()]
    assert heatmap["text"] == want and any("-" in row for row in want)

    at = AppTest.from_function(page_script, args=("contracts_page", demo_url), default_timeout=60).run()
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    funnel = next(json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart"))
    exact = _funnel(demo_url, gender=["female"])
    signed_hidden = reveals_few(exact["signed"], exact["n"], 3)
    hidden = [signed_hidden, signed_hidden or reveals_few(exact["received"], exact["signed"], 3)]
    assert [t == "-" for t in funnel["text"][:2]] == hidden


def _lifted_events(url: str) -> int:
    from sqlalchemy import func, select

    from toolkit.store.engine import open_store
    from toolkit.store.models import AuditEvent

    store = open_store(url)
    try:
        with store.read() as session:
            return session.scalar(select(func.count()).where(AuditEvent.action == "disclosure.lifted"))
    finally:
        store.close()


def test_the_researcher_lifts_small_number_protection_for_their_own_view_audited(demo_url):
    at = AppTest.from_function(page_script, args=("contracts_page", demo_url), default_timeout=60).run()
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    assert "not shown" in [m.value for m in at.metric]
    assert _lifted_events(demo_url) == 0
    at.sidebar.checkbox(key="lift_small_numbers").check().run()
    assert not at.exception
    funnel = _funnel(demo_url, gender=["female"])
    assert [m.value for m in at.metric] == [
        md_escape(f"{funnel['signed']} of {funnel['n']}"),
        md_escape(f"{funnel['received']} of {funnel['signed']}"),
        md_escape(f"{funnel['checked_employer']} of {funnel['signed']}"),
    ]
    assert any("Small numbers shown" in w.value for w in at.sidebar.warning)
    at.run()
    assert _lifted_events(demo_url) == 1  # once per session, not per click


def test_only_an_admin_may_lift_small_number_protection(demo_url):
    from toolkit.store.engine import open_store
    from toolkit.store.users import add_user

    store = open_store(demo_url)
    try:
        add_user(store, "olga", "admin", "olga's passphrase")
        add_user(store, "rita", "reviewer", "rita's passphrase", actor="olga")
    finally:
        store.close()
    for user, allowed in (("rita", False), ("olga", True)):
        at = AppTest.from_function(page_script, args=("root_causes_page", demo_url, user), default_timeout=60).run()
        assert not at.exception
        assert bool([c for c in at.sidebar.checkbox if c.key == "lift_small_numbers"]) == allowed, user
