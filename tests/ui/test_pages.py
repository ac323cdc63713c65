"""Every dashboard page renders on the sample project, shows the key numbers, and filters change them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from toolkit.model import Coding, Suggestion
from toolkit.store import open_store
from toolkit.ui.harness import PAGE_FUNCTIONS, page_script

pytestmark = pytest.mark.model

PAGES = sorted(PAGE_FUNCTIONS)


def render(page: str, url: str) -> AppTest:
    return AppTest.from_function(page_script, args=(page, url), default_timeout=60).run()


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
        "education": len({g["document"] for g in gold if "root_cause.education" in g["codes"]}),
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
    assert any("Counting:" in c.value and "gold" in c.value for c in at.caption)


def test_pages_filters_change_the_numbers(demo_url):
    at = render("overview_page", demo_url)
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    assert metrics(at)["Interviews"] == str(expected_counts()["women"])
    assert any("filtered by gender: female" in c.value for c in at.caption)


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
    from toolkit.codings import import_codings

    store = open_store(demo_url)
    import_codings(store, SAMPLE / "gold_codings.jsonl", coder="second", new_coder=True)
    store.close()
    at = render("agreement_page", demo_url)
    at.multiselect(key="agreement_coders").set_value(["gold", "second"]).run()
    at.button(key="agreement_compute").click().run()
    assert not at.exception
    assert at.dataframe


def test_pages_review_adjusts_the_span(demo_url):
    at = render("review_page", demo_url)
    caption = next(c.value for c in at.caption if "suggestion" in c.value)
    suggestion_id = int(caption.rsplit("suggestion ", 1)[1])
    start = at.number_input(key="review_start").value
    at.number_input(key="review_start").set_value(start + 3)
    at.button(key="review_adjust").click().run()
    assert not at.exception
    store = open_store(demo_url)
    with store.read() as session:
        coding = session.scalar(select(Coding).where(Coding.suggestion_id == suggestion_id))
        assert coding is not None and coding.start == start + 3
    store.close()
