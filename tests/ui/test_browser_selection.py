"""Code by selection in a real browser: select a passage, apply two codes and a memo, find them in the store."""

from __future__ import annotations

import os
import time
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from toolkit.coding.codebook import load_codebook
from toolkit.coding.review import add_coder
from toolkit.corpus.importer import import_files
from toolkit.store.engine import create_store, open_store
from toolkit.store.models import Coder, Coding, Document, Memo

from ..conftest import CODEBOOK
from .test_browser import LOCAL_HOSTS, browser, serve, settle, wait_for_page  # noqa: F401  (fixture)

NEW = (
    "SYNTHETIC TEST TRANSCRIPT\n\nInterviewer: What happened to your documents?\n\n"
    "Respondent: They took our passports at the border. I had to send money home 😟 for my son's school. "
    'The boss said <script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2">.\n\n'
    "Interviewer: Thank you.\n"
)
PASSAGE = "They took our passports at the border."
CODES = ("contract.not_received", "root_cause.family")
MEMO = "Passports kept: ask about *when* <b>exactly</b>."


@pytest.fixture
def server(tmp_path, blank_nlp):
    url = f"sqlite:///{tmp_path / 'select.sqlite'}"
    store = create_store(url)
    path = tmp_path / "NEW01.txt"
    path.write_text(NEW, encoding="utf-8")
    import_files(store, [path], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    add_coder(store, "alice")
    store.close()
    with serve(url) as base:
        yield base, url


SELECT_JS = """
(passage) => {
  const walker = document.createTreeWalker(document.getElementById('text'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const at = node.data.indexOf(passage);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + passage.length);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.getElementById('text').dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}
"""


def stored(url: str) -> tuple[list[tuple[str, str]], list[str]]:
    """alice's codings (code, quote) and memos on them, waiting up to 30 s for two codings to appear."""
    deadline = time.time() + 30
    while True:
        store = open_store(url)
        with store.read() as session:
            rows = session.execute(
                select(Coding, Document.text)
                .join(Document, Coding.document_id == Document.id)
                .join(Coder, Coding.coder_id == Coder.id)
                .where(Coder.name == "alice")
            ).all()
            codings = sorted((c.code_id, text[c.start : c.end]) for c, text in rows)
            ids = {str(c.id) for c, _ in rows}
            memos = [
                m.text for m in session.scalars(select(Memo).where(Memo.target_type == "coding")) if m.target_id in ids
            ]
        store.close()
        if len(codings) >= 2 or time.time() > deadline:
            return codings, memos
        time.sleep(0.5)


def test_code_by_selection_two_codes_and_a_memo(server, browser, tmp_path):  # noqa: F811
    base, url = server
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    outside: list[str] = []

    def guard(route) -> None:
        target = route.request.url
        if target.startswith(("data:", "blob:", "about:")) or urllib.parse.urlsplit(target).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(target)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.goto(f"{base}/transcript?document=NEW01")
    wait_for_page(page, "Transcript")
    page.get_by_text("Code by selection", exact=True).click()
    settle(page)
    frame = page.frame_locator('iframe[title*="qda_selection"]').first
    frame.locator("#text").get_by_text("window.__xss = 1", exact=False).wait_for(timeout=30_000)
    # The hostile text shows as text inside the component; nothing in it ran.
    text = frame.locator("#text").inner_text()
    assert '<script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2">' in text
    assert frame.locator("#text img, #text script").count() == 0
    # Select the passage (a DOM range, as a mouse drag makes), pick two codes, write a memo, save.
    assert frame.locator("#text").evaluate(f"(el) => ({SELECT_JS})({PASSAGE!r})")
    assert frame.locator("#chosen").inner_text() == PASSAGE
    frame.locator("#filter").fill("never received")
    frame.get_by_role("checkbox", name="Signed, copy never received").click()
    frame.locator("#filter").fill("")
    frame.get_by_role("checkbox", name="Family obligations and circumstances").click()
    frame.locator("#memo").fill(MEMO)
    frame.locator("#save").click()
    codings, memos = stored(url)
    assert codings == sorted((code, PASSAGE) for code in CODES)
    assert memos == [MEMO]
    # The saved span shows in the component in the code's colour; the page says what was stored.
    page.get_by_text("Coded ", exact=False).first.wait_for(timeout=30_000)
    settle(page)
    frame.locator("#text .coded").first.wait_for(timeout=30_000)
    # Snap to the turn: the whole respondent turn, after an emoji (code points, not UTF-16 units).
    assert frame.locator("#text").evaluate(f"(el) => ({SELECT_JS})('home')")
    frame.locator("input[value=turn]").check()
    chosen = frame.locator("#chosen").inner_text()
    assert chosen.startswith("They took our passports") and chosen.endswith('window.__xss = 2">.')
    frame.locator("body").press("3")  # a shortcut key toggles a code (keys 1-9: most used first)
    assert frame.locator(".pill.on").count() == 1
    # A real mouse drag across the last turn's words, snapped to the turn.
    box = frame.locator("#text .turn").last.locator(".body").bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    frame.locator("#chosen").get_by_text("Thank you.", exact=True).wait_for(timeout=10_000)
    assert page.evaluate("() => window.__xss") is None
    assert frame.locator("body").evaluate("() => window.__xss") is None
    # Search: the keyword in context shows the hostile turn as text, the memo is found by another word form.
    page.goto(f"{base}/search")
    wait_for_page(page, "Search")
    box = page.get_by_label('Words (any form) and "quoted phrases"')
    box.fill("bosses")
    box.press("Enter")
    page.get_by_text("Matching turns").first.wait_for(timeout=30_000)
    settle(page)
    assert "said <script>window.__xss = 1</script>" in page.inner_text("body")
    box.fill("passport")
    box.press("Enter")
    page.get_by_text("Memos (1)").first.wait_for(timeout=30_000)
    settle(page)
    page.get_by_text("Memos (1)").first.click()
    page.get_by_text(MEMO, exact=True).first.wait_for(timeout=30_000)
    assert page.evaluate("() => window.__xss") is None
    assert not outside, outside
    page.screenshot(path=str(os.environ.get("QDA_SCREENSHOT_DIR", tmp_path)) + "/selection.png", full_page=True)
    context.close()
