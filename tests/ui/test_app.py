"""The whole app (app.py with its navigation): choices kept across pages, the store's URL masked, config."""

from __future__ import annotations

import tomllib

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ..conftest import ROOT

pytestmark = pytest.mark.model


def open_app(url: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["db_url"] = url
    return at.run()


def go_to(at: AppTest, url_path: str) -> AppTest:
    """Open another page as the navigation menu does (AppTest.switch_page only knows file pages)."""
    at._page_hash = calc_hash(url_path)  # st.Page hashes its url_path
    return at.run()


def test_app_root_opens_the_overview(demo_url):
    at = open_app(demo_url)
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]


def test_app_sidebar_choices_hold_across_pages(demo_url):
    """Issue 9 item 12: filters and whose codings count apply to every page, also after moving on."""
    at = open_app(demo_url)
    at.sidebar.multiselect(key="filter_gender").set_value(["female"]).run()
    at.sidebar.selectbox(key="coder_choice").set_value("all coders").run()
    visits = (("recruitment", "Recruitment methods"), ("review", "Review queue"), ("overview", "Overview"))
    for url_path, title in visits:
        go_to(at, url_path)
        assert not at.exception, url_path
        assert [t.value for t in at.title] == [title]
        assert at.sidebar.multiselect(key="filter_gender").value == ["female"], url_path
        assert at.sidebar.selectbox(key="coder_choice").value == "all coders", url_path
    assert any("filtered by gender" in c.value for c in at.caption)


def test_app_sidebar_masks_the_database_password():
    """Issue 9 item 10: a PostgreSQL URL is shown without its password."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["db_url"] = "postgresql://ana:s3cret-pw@127.0.0.1:1/study"
    at.run()
    shown = " ".join(c.value for c in at.sidebar.caption)
    assert "127\\.0\\.0\\.1" in shown and "s3cret" not in shown
    assert at.error and not any("s3cret" in e.value for e in at.error)
    assert not at.exception


def test_app_config_serves_locally_without_watcher_or_table_export():
    """Issue 9 items 18 and 11: no file watcher over .venv; no CSV download that bypasses csv_safe."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["fileWatcherType"] == "none"
    assert config["client"]["disableDataExport"] is True
    assert config["browser"]["gatherUsageStats"] is False
