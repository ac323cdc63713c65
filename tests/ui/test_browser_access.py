"""Sign-in in a real browser: the login form comes first, and a viewer's menu has no Review queue."""

from __future__ import annotations

import pytest

from toolkit.store.engine import open_store
from toolkit.store.users import add_user

from .test_browser import browser, serve, wait_for_page  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.model


def test_browser_login_form_then_a_viewer_menu(demo_url, browser):  # noqa: F811
    store = open_store(demo_url)
    try:
        add_user(store, "olga", "admin", "olga's passphrase")
        add_user(store, "vera", "viewer", "vera's passphrase")
    finally:
        store.close()
    with serve(demo_url) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(base)
        wait_for_page(page, "Sign in")
        assert page.get_by_role("link", name="Overview", exact=True).count() == 0
        page.get_by_role("textbox", name="User name").fill("vera")
        page.get_by_role("textbox", name="Password").fill("not vera's passphrase")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Wrong user name or password.").wait_for(timeout=30_000)
        page.get_by_role("textbox", name="Password").fill("vera's passphrase")
        page.get_by_role("button", name="Sign in").click()
        wait_for_page(page, "Overview")
        menu = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Quotes" in menu and "Transcript" in menu
        assert "Review queue" not in menu and "Agreement" not in menu and "Users" not in menu
        page.goto(f"{base}/review")  # typed by hand: a new browser session, so signed out again
        wait_for_page(page, "Sign in")
        assert page.get_by_role("heading", name="Review queue", exact=True).count() == 0
