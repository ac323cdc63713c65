"""The donor report: every section in the .docx, every chart rendered offline in the HTML, the view stated."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.analysis.frames import load_frames
from toolkit.cli.main import app
from toolkit.coding.review import add_coding
from toolkit.corpus.attributes import import_attributes
from toolkit.corpus.importer import import_files
from toolkit.io.transcripts import Transcript
from toolkit.studies.report_doc import build_report
from toolkit.studies.report_files import report_bytes, write_report
from toolkit.studies.report_render import render_html

from ..conftest import SAMPLE, in_ci, sample_study

DOCS = ["S01", "S02", "S03", "S04", "S06", "S07"]
HOSTILE = "Interviewer: What did it say?\n\nRespondent: It said <script>window.__xss = 1</script> and <b>bold</b>.\n"


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    sample_study(store, blank_nlp, tmp_path, DOCS, DOCS, coder="gold")
    digest = hashlib.sha256(HOSTILE.encode()).hexdigest()
    import_files(store, [Transcript(name="X01", text=HOSTILE, encoding="utf-8", sha256=digest)], nlp=blank_nlp)
    lines = (SAMPLE / "cases.csv").read_text().splitlines()
    rows = [r for r in lines[1:] if r.split(",")[0] in DOCS]
    import_attributes(store, "\n".join([lines[0], *rows]).encode(), "cases.csv")
    start = HOSTILE.index("It said")
    add_coding(store, "gold", "X01", start, len(HOSTILE) - 1, "root_cause.economic")
    return store


def view(store, **filters):
    from toolkit.analysis.findings import filter_cases, filter_codings

    codings, cases = load_frames(store, "gold")
    cases = filter_cases(cases, **filters)
    return filter_codings(codings, cases), cases


def test_docx_has_every_section_a_picture_per_chart_and_the_view_first(study):
    from docx import Document

    codings, cases = view(study, gender=["female"])
    report = build_report(study, codings, cases, "gold (test)", {"gender": ["female"]})
    calls: list[tuple[int, int]] = []
    document = Document(
        io.BytesIO(
            report_bytes(
                study, codings, cases, "gold (test)", "docx", {"gender": ["female"]},
                on_progress=lambda *call: calls.append(call),
            )
        )
    )  # fmt: skip
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for section in report.sections:
        assert section.heading in headings
        for chart in section.charts:
            assert chart.title in headings
    assert {"Codebook", "Method", "Who was interviewed", "What this report counts"} <= set(headings)
    charts = sum(len(s.charts) for s in report.sections)
    assert charts >= 5 and len(document.inline_shapes) == charts
    assert calls == [(done, charts) for done in range(charts + 1)]  # one report per chart drawn
    first_page = [p.text for p in document.paragraphs[:10]]
    assert any(t.startswith("Filters: gender: female") for t in first_page)
    assert any(t.startswith("Whose codings count: gold") for t in first_page)
    assert any(t.startswith("Date: ") for t in first_page)
    assert len(document.tables) >= 1  # the codebook
    for chart in (c for s in report.sections for c in s.charts):  # a chart on its own still says what it counts
        assert "filters: gender: female" in chart.figure.layout.title.text and "n = " in chart.note
    assert not any(c.title.endswith("by gender") for s in report.sections for c in s.charts)  # one group only


def test_groups_under_the_threshold_are_marked_with_their_size(study):
    codings, cases = view(study)
    report = build_report(study, codings, cases, "gold", min_group=100)
    labels = [
        x
        for s in report.sections
        for c in s.charts
        for t in c.figure.data
        if t.type == "bar" and t.x is not None
        for x in t.x
        if isinstance(x, str)
    ]
    assert any(", small)" in x for x in labels)
    assert any("Groups under 100 interviews" in c.note for s in report.sections for c in s.charts)


def test_comparisons_by_any_attribute(study):
    codings, cases = view(study)
    report = build_report(study, codings, cases, "gold", attributes=["destination"])
    titles = [c.title for s in report.sections for c in s.charts]
    assert any(t.endswith("by destination") for t in titles)
    assert not any(t.endswith("by gender") for t in titles)


@pytest.fixture
def chromium():
    if shutil.which("chromium") is None or not Path("/usr/bin/chromium").exists():
        if in_ci():
            pytest.fail("Chromium is missing in CI")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def test_html_renders_every_chart_offline_and_escapes_transcript_text(study, tmp_path, chromium):
    codings, cases = view(study)
    # min_cell=0: X01 (no attributes) is a group of one, whose quotes protection would leave out.
    report = build_report(study, codings, cases, "gold", min_cell=0)
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    requests: list[str] = []
    page = chromium.new_page()

    def block(route):
        if not route.request.url.startswith("file://"):
            requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    page.goto(path.as_uri())
    charts = sum(len(s.charts) for s in report.sections)
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=60000)
    rendered = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot')).filter("
        "d => d.querySelector('.main-svg') && d.querySelectorAll('.trace, .heatmaplayer image').length > 0).length"
    )
    assert rendered == charts
    assert requests == []
    assert page.evaluate("window.__xss") is None
    page.locator("details summary").first.click()
    assert page.locator("blockquote", has_text="<script>window.__xss = 1</script>").count() >= 1  # shown as text
    from plotly.offline import get_plotlyjs

    html = path.read_text().replace(get_plotlyjs(), "")  # the bundle itself names its CDN in comments
    assert "cdn.plot.ly" not in html and "<script src" not in html and "<link" not in html
    assert "&lt;script&gt;window.__xss" in html


def test_cli_report_html_docx_and_json_still_work(study, tmp_path, db_url, monkeypatch):
    monkeypatch.setenv("QDA_PROGRESS", "1")  # bars drawn though stderr is no terminal here
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "report", "--format", "docx", str(tmp_path / "r.docx"),
                                 "--coder", "gold", "--filter", "gender=male"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.docx").stat().st_size > 10_000
    assert "drawing charts" in result.stderr and "drawing" not in result.stdout
    result = runner.invoke(app, ["--db", db_url, "report", "--format", "html"])
    assert result.exit_code == 2 and "name the file" in result.output
    result = runner.invoke(app, ["--db", db_url, "report", "--json", "--coder", "gold"])
    assert result.exit_code == 0 and '"n_interviews": 7' in result.output
    result = runner.invoke(app, ["--db", db_url, "report", "--format", "html", str(tmp_path / "r.html"),
                                 "--filter", "nonsense"])  # fmt: skip
    assert result.exit_code == 2
    assert write_report(study, tmp_path / "w.html", "html", "gold").startswith("7 interviews, counting gold")


def test_key_findings_are_the_most_frequent_codes_counted_from_the_view(study):
    from toolkit.analysis.findings import code_prevalence

    codings, cases = view(study, gender=["male"])
    report = build_report(study, codings, cases, "gold")
    summary = report.sections[0]
    assert summary.heading == "Key findings"
    prevalence = code_prevalence(codings, cases).sort_values("interviews", ascending=False, kind="stable")
    top = prevalence.iloc[0]
    from toolkit.analysis.frames import load_code_names

    names = load_code_names(study)
    assert summary.paragraphs[0].startswith(
        f"{names[top['code']]}: {int(top['interviews'])} of {len(cases)} interviews"
    )


def test_report_breakdowns_show_no_small_numbers(study):
    """The HTML/Word report's charts by attribute are protected like the dashboard's (issue 11)."""
    import re

    from toolkit.analysis.findings import composition

    codings, cases = view(study)
    lone = [str(v) for v, n in zip(*composition(cases, "destination")[["value", "interviews"]].values.T) if n < 3]
    assert lone, "the study needs a destination held by one or two interviews"
    report = build_report(study, codings, cases, "gold", attributes=["destination"])
    charts = [c for s in report.sections for c in s.charts if c.title.endswith("by destination")]
    assert charts
    for chart in charts:
        text = " ".join([chart.note, *(label for label, _, _ in chart.quotes)])
        assert not any(f"{value}:" in text or f"destination {value}:" in text for value in lone), text
        assert not re.search(r": [12] of \d+$", " ".join(label for label, _, _ in chart.quotes))
        assert "merged" in chart.note
    lifted = build_report(study, codings, cases, "gold", attributes=["destination"], min_cell=0)
    notes = " ".join(c.note for s in lifted.sections for c in s.charts if c.title.endswith("by destination"))
    assert any(f"{value}:" in notes for value in lone)  # the researcher's own view shows them
