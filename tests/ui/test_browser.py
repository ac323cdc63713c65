"""The dashboard in a real browser: headless Chromium (Debian's) driven by Playwright, on localhost only."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from toolkit.analysis.frames import load_code_names
from toolkit.coding.codebook import load_codebook
from toolkit.coding.review import add_coder, add_coding, add_memo
from toolkit.corpus.attributes import import_attributes
from toolkit.corpus.importer import import_files
from toolkit.io.csv_safe import write_csv
from toolkit.io.transcripts import Transcript
from toolkit.store.engine import open_store
from toolkit.store.models import Coding, Segment, Suggestion

from ..conftest import ROOT, in_ci

pytestmark = pytest.mark.model

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = (
    "SYNTHETIC TEST TRANSCRIPT\n\nInterviewer: What did the message say?\n\n"
    'Respondent: It said <script>window.__xss = 1</script> and showed <img src=x onerror="window.__xss = 2">.\n\n'
    "Interviewer: And then?\n\nRespondent: Nothing else.\n"
)
# Markdown, LaTeX, directives and HTML that would fetch an outside host or garble the text if rendered.
MARKDOWN = (
    "![x](http://attacker.invalid/t.png) [click](javascript:alert(1)) "
    '<img src="http://attacker.invalid/i.png" onerror="window.__xss = 3"> paid $200 and $300 :red[alert] :smile:'
)
MD_DOCUMENT = "![d](http://attacker.invalid/d.png) $200 and $300"
MD_CODER = "![c](http://attacker.invalid/c.png) :red[coder]"
MD_TRANSCRIPT = (
    f"Interviewer: {MARKDOWN}?\n\nRespondent: I was {MARKDOWN}\n\nInterviewer: Anything else?\n\n"
    f"Respondent: {MARKDOWN}\n"
)
MD_CODEBOOK = f"""
codebook: {{id: hostile, name: "hostile", version: "1"}}
codes:
  - id: hostile.code
    name: '{MARKDOWN}'
    definition: '{MARKDOWN}'
    examples: ['{MARKDOWN}']
    keywords: [paid]
"""
PAGES = [
    ("", "Overview"),
    ("overview", "Overview"),
    ("root-causes", "Root causes of vulnerability"),
    ("recruitment", "Recruitment methods"),
    ("contracts", "Contracts and vetting"),
    ("awareness", "Awareness of trafficking"),
    ("quotes", "Quotes"),
    ("transcript", "Transcript"),
    ("search", "Search"),
    ("queries", "Queries"),
    ("review", "Review queue"),
    ("agreement", "Agreement"),
    ("codebook", "Codebook"),
    ("export", "Export"),
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MENU = {
    "root-causes": "Root causes",
    "recruitment": "Recruitment",
    "awareness": "Awareness",
    "review": "Review queue",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if in_ci():
            pytest.fail("Chromium is missing in CI: .ci/run must install the chromium package")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def import_hostile_data(url: str, tmp_path: Path, nlp) -> None:
    """Hostile text in every field a user can fill: transcript, document, coder, code, attributes, memo."""
    hostile = tmp_path / "XSS01.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    store = open_store(url)
    import_files(store, [hostile], nlp=nlp)
    text = MD_TRANSCRIPT
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    import_files(store, [Transcript(name=MD_DOCUMENT, text=text, encoding="utf-8", sha256=digest)], nlp=nlp)
    (tmp_path / "hostile.yaml").write_text(MD_CODEBOOK, encoding="utf-8")
    load_codebook(store, tmp_path / "hostile.yaml")
    rows = [{"document": MD_DOCUMENT, "gender": MARKDOWN, "exploitation_type": MARKDOWN, "heard_of_tip": "yes"}]
    import_attributes(store, write_csv(rows, list(rows[0])).encode("utf-8"), name="cases.csv")
    add_coder(store, MD_CODER)
    answer = text.index("I was ")
    add_coding(store, MD_CODER, MD_DOCUMENT, answer, answer + len("I was ") + len(MARKDOWN), "hostile.code")
    add_coding(store, MD_CODER, MD_DOCUMENT, answer, answer + 10, "root_cause.family")
    add_memo(store, MD_CODER, "document", MD_DOCUMENT, MARKDOWN)
    store.close()


@contextlib.contextmanager
def serve(url: str):
    """The dashboard on a free local port, serving the store at ``url``; its base address."""
    port = free_port()
    env = {**os.environ, "QDA_DB": url, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"streamlit did not start: {process.stdout.read().decode()[-2000:]}")
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def server(demo_url, tmp_path, blank_nlp):
    import_hostile_data(demo_url, tmp_path, blank_nlp)
    with serve(demo_url) as base:
        yield base


def wait_for_page(page, heading: str) -> None:
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=30_000)
    settle(page)


def settle(page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def choose(page, label: str, option: str) -> None:
    """Pick an option of the selectbox labelled ``label``."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def card_id(page, previous: int | None = None) -> int:
    """The id of the suggestion the review card shows, once it differs from ``previous``."""
    deadline = time.time() + 30
    while True:
        caption = page.get_by_text("suggestion ", exact=False).filter(has_text="turn").first.inner_text()
        found = int(caption.rsplit("suggestion ", 1)[1].split()[0])
        if found != previous or time.time() > deadline:
            return found
        page.wait_for_timeout(300)


def open_expander(page, title: str) -> None:
    """Open the expander whose summary starts with ``title`` (if it is not open yet)."""
    expander = page.locator('[data-testid="stExpander"] details').filter(has_text=title).first
    if expander.get_attribute("open") is None:
        expander.locator("summary").click()
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=\"stExpander\"] details[open] summary')]"
        ".some(s => s.innerText.includes(t))",
        arg=title,
        timeout=30_000,
    )


def area(locator) -> float:
    """The on-screen area of an element (0 when it is not drawn)."""
    box = locator.bounding_box()
    return box["width"] * box["height"] if box else 0.0


def selection_drawn(points) -> bool:
    """Whether Plotly shows a selection among ``points`` (it dims those not selected)."""
    return bool(points.evaluate_all("ps => ps.some(p => parseFloat(getComputedStyle(p).opacity) < 0.9)"))


def accept_button(page):
    """The card's Accept button (its accessible name also carries the shortcut hint)."""
    return page.get_by_role("button", name="Accept").filter(has_not_text="span").first


def decided(url: str, suggestion_id: int, timeout: float = 30) -> tuple[str, tuple[int, int] | None, tuple[int, int]]:
    """Wait for the suggestion to leave "open"; its status, its coding's span and its segment's span."""
    deadline = time.time() + timeout
    while True:
        store = open_store(url)
        with store.read() as session:
            suggestion = session.get(Suggestion, suggestion_id)
            segment = session.get(Segment, suggestion.segment_id)
            coding = session.scalar(select(Coding).where(Coding.suggestion_id == suggestion_id))
            result = (
                suggestion.status,
                (coding.start, coding.end) if coding else None,
                (segment.start, segment.end),
            )
        store.close()
        if result[0] != "open" or time.time() > deadline:
            return result
        time.sleep(0.5)


def test_browser_every_page_verbatim_no_outside_request_no_script(server, browser, demo_url, tmp_path):
    """Issue 9 items 8, 9, 12, 13, 14 and 1 in a real browser.

    Every request whose host is not this machine is recorded and refused; the test fails on any (an
    image in Markdown, a Google-served favicon or font). Every page opens at its own URL, the coder
    choice holds across pages, data shows verbatim, a click on a bar opens its quotes, and three review
    cards in a row are decided with their own spans.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urllib.parse.urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # Direct URLs (item 14); the root opens the overview at its own URL.
    for path, heading in PAGES:
        page.goto(f"{server}/{path}")
        wait_for_page(page, heading)
        assert "Traceback" not in page.content(), path
        assert "Page not found" not in page.inner_text("body"), path
    page.goto(server)
    wait_for_page(page, "Overview")
    assert page.url.rstrip("/").endswith("/overview")

    # Whose codings count holds across pages (item 12): everyone's, so the hostile coder's codings show.
    choose(page, "Whose codings count", "all coders")
    for path, heading in PAGES[2:]:
        page.get_by_role("link", name=MENU.get(path, heading), exact=True).first.click()
        wait_for_page(page, heading)
        assert "Traceback" not in page.content(), path
        if path not in ("agreement", "review"):  # wait for it: on a loaded machine the page may still be drawing
            page.get_by_text("Counting: all coders", exact=False).first.wait_for(timeout=30_000)
        for expander in page.locator('[data-testid="stExpander"] summary').all():
            if expander.is_visible():
                expander.click()
        settle(page)
        if path == "codebook":
            assert "paid $200 and $300 :red[alert]" in page.inner_text("body")
        if path == "overview":
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)

    # The hostile transcript: verbatim, nothing fetched, nothing run.
    page.goto(f"{server}/transcript")
    wait_for_page(page, "Transcript")
    choose(page, "Document", MD_DOCUMENT)
    page.get_by_text("paid $200 and $300", exact=False).first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert MARKDOWN.replace(":smile:", "") in body.replace("\u2060", "")
    assert "![x](http://attacker.invalid/t.png)" in body
    page.goto(f"{server}/transcript?document=XSS01")
    wait_for_page(page, "Transcript")
    page.get_by_text("window.__xss = 1", exact=False).first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "<script>window.__xss = 1</script>" in body
    assert "onerror" in body

    # Drill-down by click (item 13): a bar opens the quotes behind it.
    page.goto(f"{server}/root-causes")
    wait_for_page(page, "Root causes of vulnerability")
    page.get_by_text("Click a bar or cell above, or choose a code.").wait_for(timeout=30_000)
    settle(page)
    bars = page.locator(".js-plotly-plot").first.locator("g.point path")
    bars.first.scroll_into_view_if_needed()
    # The largest bar: a zero-count bar has no area to click on.
    bar = max((bars.nth(i) for i in range(bars.count())), key=area)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    clicked = page.get_by_text("Clicked:", exact=False).first
    for _attempt in range(3):  # on a loaded machine Plotly may attach its handlers after the first click
        if not selection_drawn(bars):  # a second click on a selected bar would undo the selection
            bar.scroll_into_view_if_needed()
            box = bar.bounding_box()  # Plotly's drag layer takes the click at the bar's place
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            clicked.wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            settle(page)
    page.screenshot(path=str(tmp_path / "root_causes.png"), full_page=True)  # kept by pytest when this fails
    clicked.wait_for(timeout=10_000)
    settle(page)

    # Three review cards in a row, the second accepted with its own (adjusted-span) inputs (item 1).
    page.goto(f"{server}/review")
    wait_for_page(page, "Review queue")
    first = card_id(page)
    accept_button(page).click()
    assert decided(demo_url, first)[0] == "accepted"
    second = card_id(page, first)
    settle(page)
    open_expander(page, "Accept a narrower or wider span")
    page.get_by_role("button", name="Accept with this span").click()
    status, span, segment = decided(demo_url, second)
    assert status == "accepted" and span is not None
    assert segment[0] <= span[0] < span[1] <= segment[1], (span, segment)
    third = card_id(page, second)
    settle(page)
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    accept_button(page).click()
    assert decided(demo_url, third)[0] == "accepted"
    # Item 19: choose a code, then E right away changes the fourth card to it.
    fourth = card_id(page, third)
    settle(page)
    open_expander(page, "Change to another code")
    store = open_store(demo_url)
    name = sorted(load_code_names(store).items())[1][1]
    store.close()
    group = page.locator('[data-testid="stButtonGroup"]').filter(has_text=name).first
    group.get_by_text(name, exact=True).click()
    # The choice reaches the server with the click's rerun: wait until the pill is drawn as chosen.
    group.locator('[aria-checked="true"]').filter(has_text=name).wait_for(state="attached", timeout=30_000)
    settle(page)
    page.keyboard.press("e")
    for _attempt in range(2):
        if decided(demo_url, fourth, timeout=15)[0] != "open" or card_id(page) != fourth:
            break
        # On a loaded machine the key can land while the page is redrawn; the card is still the fourth,
        # undecided, so pressing again cannot decide another card.
        settle(page)
        page.keyboard.press("e")
    assert decided(demo_url, fourth)[0] == "changed"

    assert page.evaluate("() => window.__xss") is None
    assert not dialogs
    assert not outside, outside
    context.close()


SCREENSHOTS = [
    ("overview", "Overview", "overview.png"),
    ("root-causes", "Root causes of vulnerability", "root_causes.png"),
    ("contracts", "Contracts and vetting", "contracts.png"),
    ("transcript?document=S04", "Transcript", "transcript.png"),
    ("review", "Review queue", "review.png"),
]


def test_browser_screenshots_for_the_docs(demo_url, browser):
    """With ``QDA_SCREENSHOTS=docs/img``, save PNGs of a few pages of the synthetic demo project (no hostile data).

    Skipped otherwise: screenshots are made on purpose, checked by eye for synthetic data only, and committed.
    """
    folder = os.environ.get("QDA_SCREENSHOTS")
    if not folder:
        pytest.skip("set QDA_SCREENSHOTS=docs/img to save the documentation's screenshots")
    target = Path(folder) if Path(folder).is_absolute() else ROOT / folder
    target.mkdir(parents=True, exist_ok=True)
    with serve(demo_url) as base:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("data:", "blob:"))
                or urllib.parse.urlsplit(route.request.url).hostname in LOCAL_HOSTS
                else route.abort()
            ),
        )
        page = context.new_page()
        for path, heading, name in SCREENSHOTS:
            page.goto(f"{base}/{path}")
            wait_for_page(page, heading)
            if path in ("overview", "root-causes", "contracts"):
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            # Streamlit draws grey placeholders until each element has arrived: wait them out.
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)
            settle(page)
            page.wait_for_timeout(1_000)
            page.screenshot(path=str(target / name))
            assert (target / name).stat().st_size > 10_000, name
        context.close()
