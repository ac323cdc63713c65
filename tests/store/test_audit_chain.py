"""The audit trail is hash-chained: an edited or deleted event is found by `qda audit verify`."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.review import add_coder, verify_audit
from toolkit.store.engine import open_store, upgrade_store

from ..conftest import FIXTURES


def events(store, n: int = 4) -> None:
    for i in range(n):
        add_coder(store, f"coder{i}")


def sql(store, statement: str, **params) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def verify(db_url: str):
    result = CliRunner().invoke(app, ["--db", db_url, "audit", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def test_audit_chain_verifies_on_an_untouched_store(any_store):
    events(any_store)
    report = verify_audit(any_store)
    assert report.ok and report.events == 5 and len(report.head) == 64  # init + 4 coders


def test_audit_chain_detects_an_edited_actor(store, db_url):
    events(store)
    sql(store, "update audit_events set actor = 'mallory' where seq = 3")
    code, result = verify(db_url)
    assert code == 1 and not result["ok"] and "changed after it was written" in result["reason"]
    assert result["broken_at"] == 3


def test_audit_chain_detects_a_deleted_event(store, db_url):
    events(store)
    sql(store, "delete from audit_events where seq = 2")
    code, result = verify(db_url)
    assert code == 1 and "were deleted" in result["reason"] and result["broken_at"] == 3


def test_audit_chain_detects_a_deleted_last_event(store, db_url):
    events(store)
    sql(store, "delete from audit_events where seq = (select max(seq) from audit_events)")
    code, result = verify(db_url)
    assert code == 1 and "last event" in result["reason"]
    assert not verify_audit(store).ok


def test_audit_chain_detects_an_edited_payload(store, db_url):
    events(store)
    sql(store, """update audit_events set "after" = '{"name": "eve"}' where seq = 2""")
    code, result = verify(db_url)
    assert code == 1 and "payload was changed" in result["reason"]


def test_audit_chain_survives_erased_payloads(store, db_url):
    events(store)
    sql(store, """update audit_events set "before" = null, "after" = null where seq in (2, 3)""")
    code, result = verify(db_url)
    assert code == 0 and result["ok"] and result["erased_payloads"] == 2
    human = CliRunner().invoke(app, ["--db", db_url, "audit", "verify"])
    assert "intact" in human.output and "2 payload(s) erased" in human.output


def test_audit_chain_concurrent_writers_chain_one_after_the_other(any_store):
    def work(prefix: str) -> None:
        for i in range(5):
            add_coder(any_store, f"{prefix}{i}")

    threads = [threading.Thread(target=work, args=(p,)) for p in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_audit(any_store)
    assert report.ok and report.events == 16


def test_audit_chain_the_previous_release_store_is_chained_on_upgrade(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURES / "store_made_by_0_1.sqlite", path)
    url = f"sqlite:///{path}"
    upgrade_store(url)
    store = open_store(url)
    report = verify_audit(store)
    assert report.ok and report.events > 5
    add_coder(store, "after-upgrade")
    assert verify_audit(store).ok
    store.close()


@pytest.mark.parametrize("listing", [["audit"], ["audit", "--json"]])
def test_audit_listing_still_works_without_a_subcommand(store, db_url, listing):
    events(store, 1)
    result = CliRunner().invoke(app, ["--db", db_url, *listing])
    assert result.exit_code == 0 and "coder.add" in result.output
