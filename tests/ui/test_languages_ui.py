"""The dashboard in a mixed project: language visible and filterable, Russian quotes next to English ones."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from toolkit.coding.codings import import_codings
from toolkit.corpus.importer import import_files
from toolkit.io.transcripts import read_transcript
from toolkit.store.engine import open_store
from toolkit.ui.harness import page_script

from ..conftest import SAMPLE

pytestmark = pytest.mark.model


@pytest.fixture
def mixed_url(demo_url, tmp_path) -> str:
    """The sample project plus the Russian S01 (as S01_ru) with its gold codings."""
    store = open_store(demo_url)
    transcript = read_transcript(SAMPLE / "ru" / "transcripts" / "S01.txt")
    import_files(store, [replace(transcript, name="S01_ru")])
    rows = [
        json.loads(line) for line in (SAMPLE / "ru" / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    gold = tmp_path / "ru.jsonl"
    gold.write_text(
        "".join(
            json.dumps({**r, "document": "S01_ru"}, ensure_ascii=False) + "\n" for r in rows if r["document"] == "S01"
        ),
        encoding="utf-8",
    )
    import_codings(store, gold, coder="gold")
    store.close()
    return demo_url


def render(page: str, url: str) -> AppTest:
    return AppTest.from_function(page_script, args=(page, url), default_timeout=60).run()


def test_quotes_show_their_language_and_the_language_filter_selects_documents(mixed_url):
    at = render("quotes_page", mixed_url)
    assert not at.exception, [e.value for e in at.exception]
    frame = at.dataframe[0].value
    assert set(frame["language"]) == {"en", "ru"}
    russian = frame[frame["language"] == "ru"]
    assert russian["document"].eq("S01_ru").all() and russian["quote"].str.contains("[а-я]").all()
    at.sidebar.multiselect(key="filter_language").set_value(["ru"]).run()
    overview = render("overview_page", mixed_url)
    overview.sidebar.multiselect(key="filter_language").set_value(["ru"]).run()
    assert {m.label: m.value for m in overview.metric}["Interviews"] == "1"


def test_transcript_page_names_the_language(mixed_url):
    at = AppTest.from_function(page_script, args=("transcript_page", mixed_url), default_timeout=60)
    at.session_state["transcript_document"] = "S01_ru"
    at.run()
    assert not at.exception
    assert any(c.value.startswith("Language: Russian") for c in at.caption)
