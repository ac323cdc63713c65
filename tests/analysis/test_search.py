"""Search finds every form of a word, filters by role, attribute and code, and agrees with the sample files."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from toolkit.analysis.search import SearchError, kwic, parse_query, search
from toolkit.analysis.wordforms import StemNormaliser, stem
from toolkit.cli.main import app
from toolkit.coding.codebook import load_codebook
from toolkit.coding.review import add_coding
from toolkit.corpus.importer import import_files
from toolkit.store.models import LemmaCache, Segment
from toolkit.ui.highlight import kwic_html

from ..conftest import CODEBOOK
from .workspace_data import build_sample, text_lines_matching

PASSPORT = r"\bpassport(s|'s)?\b"


@pytest.fixture(scope="module")
def sample(tmp_path_factory, blank_nlp):
    store = build_sample(tmp_path_factory.mktemp("search") / "sample.sqlite", blank_nlp)
    yield store
    store.close()


def test_search_counts_match_the_transcript_files(sample):
    expected = text_lines_matching(PASSPORT)
    txt_documents = sorted(expected)
    # Compared with the files as written: the original text (the default searches the de-identified view).
    hits = search(sample, "passport", documents=txt_documents, raw=True)
    found: dict[str, int] = {}
    for hit in hits:
        found[hit.document] = found.get(hit.document, 0) + 1
        assert sample_text(sample, hit, raw=True) == hit.text
    assert found == {d: n for d, n in expected.items() if n}
    assert sum(expected.values()) > 10  # the corpus really talks about passports
    everything = text_lines_matching(PASSPORT, docx=True)
    assert len(search(sample, "passport", raw=True)) == sum(everything.values()) > sum(expected.values())


def sample_text(store, hit, raw: bool = False):
    """The turn as readers see it: de-identified (search shows raw text only when asked, audited by its caller)."""
    from toolkit.corpus.identifiers import document_view

    return document_view(store, hit.document, raw=raw).slice(hit.start, hit.end)


def test_search_cli_json_gives_one_result_per_turn_like_the_library(sample):
    url = str(sample.engine.url)
    result = CliRunner().invoke(app, ["--db", url, "search", "passports", "--role", "respondent", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    library = search(sample, "passport", roles=["respondent"])
    assert [(r["document"], r["position"], r["start"], r["end"], r["text"]) for r in rows] == [
        (h.document, h.position, h.start, h.end, h.text) for h in library
    ]
    text = CliRunner().invoke(app, ["--db", url, "search", "passport", "--attribute", "gender=female"])
    assert text.exit_code == 0, text.output
    women = search(sample, "passport", attributes={"gender": ["female"]})
    assert len([line for line in text.stdout.splitlines() if line.strip()]) == len(women) > 0
    assert 0 < len(women) < len(library)


def test_word_forms_english_and_russian():
    assert stem("passports") == stem("passport") == stem("Passport's")
    assert len({stem(w) for w in ("паспорт", "паспорта", "паспортом", "паспортами", "ПАСПОРТЕ")}) == 1
    assert stem("contract") != stem("passport")
    assert parse_query('passports "signed contracts"') == [[stem("passport")], [stem("signed"), stem("contracts")]]


@pytest.fixture
def small(store, blank_nlp, tmp_path):
    path = tmp_path / "R01.txt"
    path.write_text(
        "Interviewer: Где был ваш паспорт?\n\n"
        "Respondent: Они забрали наши паспорта. Без паспорта я не могла уехать.\n\n"
        "Interviewer: Did they keep the passports?\n\n"
        "Respondent: Yes, my passport stayed with the boss. <b>Never</b> again.\n",
        encoding="utf-8",
    )
    import_files(store, [path], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    return store


def test_search_finds_russian_case_endings_and_filters(small):
    hits = search(small, "паспортом")
    assert [(h.position, h.role) for h in hits] == [(0, "interviewer"), (1, "respondent")]
    assert [small_text(h, m) for h in hits for m in h.matches] == ["паспорт", "паспорта", "паспорта"]
    assert [h.position for h in search(small, "passport", roles=["respondent"])] == [3]
    assert search(small, "passport", codes=["contract.none"]) == []
    respondent = search(small, "passport", roles=["respondent"])[0]
    add_coding(small, "alice", "R01", respondent.start, respondent.start + 3, "contract.none", new_coder=True)
    assert [h.position for h in search(small, "passport", codes=["contract.none"])] == [3]
    assert [h.position for h in search(small, '"keep the passports"')] == [2]
    assert search(small, '"the passports keep"') == []


def small_text(hit, match):
    return hit.text[match[0] - hit.start : match[1] - hit.start]


def test_search_stems_each_turn_once_through_the_store_cache(small):
    search(small, "passport")
    with small.read() as session:
        cached = session.scalar(select(func.count()).where(LemmaCache.pipeline == StemNormaliser.name))
        turns = session.scalar(select(func.count()).select_from(Segment))
    assert cached == turns == 4
    search(small, "boss")
    with small.read() as session:
        assert session.scalar(select(func.count()).where(LemmaCache.pipeline == StemNormaliser.name)) == 4


def test_search_refuses_an_empty_query_or_unknown_role(small):
    with pytest.raises(SearchError):
        search(small, "  ...  ")
    with pytest.raises(SearchError, match="role"):
        search(small, "passport", roles=["boss"])


def test_keyword_in_context_escapes_transcript_text(small):
    hit = search(small, "never")[0]
    (left, keyword, right) = kwic(hit)[0]
    assert keyword == "Never" and left.endswith("<b>") and right.startswith("</b>")
    html = kwic_html(left, keyword, right)
    assert html.count("<b>") == 1 and "<b>Never</b>" in html  # the keyword's own tag, nothing from the text
    assert "&lt;b&gt;</span>" in html and "&lt;/b&gt; again" in html


def test_search_reads_and_shows_the_de_identified_text(sample):
    """A name replaced by a pseudonym is neither found nor shown; the pseudonym is (issue 11, Access)."""
    from toolkit.corpus.identifiers import identifier_rows

    person = next(
        r
        for r in identifier_rows(sample, None, "confirmed") + identifier_rows(sample, None, "proposed")
        if r["type"] == "person" and " " in r["text"]
    )
    surname = person["text"].split()[-1]
    assert not [h for h in search(sample, surname) if surname in h.text]
    hits = search(sample, "passport")
    assert any("[" in h.text for h in hits)  # some turns about passports also hold pseudonyms
    for hit in hits:
        assert hit.shown_matches and len(hit.shown_matches) == len(hit.matches)
        for (a, b), (x, y) in zip(hit.shown_matches, hit.matches, strict=True):
            assert stem(hit.text[a:b]) == stem("passport") and hit.start <= x < y <= hit.end
