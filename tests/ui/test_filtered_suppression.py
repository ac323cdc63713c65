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


def _notes(url: str, attribute: str, **filters: list[str]) -> str:
    from toolkit.analysis import findings
    from toolkit.analysis.disclosure import protected_code_by_attribute
    from toolkit.analysis.frames import load_frames
    from toolkit.store.engine import open_store
    from toolkit.studies.snapshot import ROOT_CAUSE_PREFIX

    store = open_store(url)
    try:
        codings, cases = load_frames(store)
    finally:
        store.close()
    cases = findings.filter_cases(cases, **filters)
    codings = findings.filter_codings(codings, cases)
    prevalence = findings.code_prevalence(codings, cases)
    codes = [c for c in prevalence["code"] if c.startswith(ROOT_CAUSE_PREFIX)]
    return protected_code_by_attribute(codings, cases, attribute, codes).attrs["suppression"]
