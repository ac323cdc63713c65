"""The dashboard in a real browser: headless Chromium (Debian's) driven by Playwright, on localhost only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from toolkit.importer import import_files
from toolkit.model import Suggestion
from toolkit.store import open_store

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
PAGES = [
    ("", "Overview"),
    ("root-causes", "Root causes of vulnerability"),
    ("recruitment", "Recruitment methods"),
    ("contracts", "Contracts and vetting"),
    ("awareness", "Awareness of trafficking"),
    ("quotes", "Quotes"),
    ("transcript", "Transcript"),
    ("review", "Review queue"),
    ("agreement", "Agreement"),
    ("codebook", "Codebook"),
    ("export", "Export"),
]


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


@pytest.fixture
def server(demo_url, tmp_path, blank_nlp):
    hostile = tmp_path / "XSS01.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    store = open_store(demo_url)
    import_files(store, [hostile], nlp=blank_nlp)
    store.close()
    port = free_port()
    env = {**os.environ, "QDA_DB": demo_url, "HF_HUB_OFFLINE": "1"}
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
    yield base
    process.terminate()
    process.wait(timeout=20)


def wait_for_page(page, heading: str) -> None:
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def test_browser_every_page_review_and_no_script_runs(server, browser, demo_url, tmp_path):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path, heading in PAGES:
        page.goto(f"{server}/{path}")
        wait_for_page(page, heading)
        assert "Traceback" not in page.content(), path
        assert "Page not found" not in page.inner_text("body"), path
        if heading == "Overview":
            page.get_by_text("Interviews", exact=True).first.wait_for(timeout=30_000)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert (tmp_path / "overview.png").stat().st_size > 10_000

    page.goto(f"{server}/transcript?document=XSS01")
    wait_for_page(page, "Transcript")
    page.get_by_text("window.__xss = 1", exact=False).first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "<script>window.__xss = 1</script>" in body
    assert "onerror" in body
    assert page.evaluate("() => window.__xss") is None
    assert not dialogs

    page.goto(f"{server}/review")
    wait_for_page(page, "Review queue")
    caption = page.get_by_text("suggestion ", exact=False).filter(has_text="turn").first.inner_text()
    suggestion_id = int(caption.rsplit("suggestion ", 1)[1].split()[0])
    page.get_by_role("button", name="Accept").click()
    deadline = time.time() + 30
    status = "open"
    while time.time() < deadline and status == "open":
        time.sleep(0.5)
        store = open_store(demo_url)
        with store.read() as session:
            status = session.scalar(select(Suggestion.status).where(Suggestion.id == suggestion_id))
        store.close()
    assert status == "accepted"
