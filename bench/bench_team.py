"""Many coders at once on one project: nothing lost, nothing duplicated, and how fast, on PostgreSQL and SQLite.

Usage: python bench/bench_team.py [--processes 8] [--actions 500] [--backends postgres,sqlite]
                                  [--pg-server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The 26-interview sample project is built once in SQLite (real spaCy segmentation; suggestions by the
offline hashing embedder so the bench needs no model), then copied to a fresh PostgreSQL database with
``qda migrate``'s library function. On each back-end, ``--processes`` coder processes start together and
each does ``--actions`` mixed actions through the library, as the CLI and the dashboard do: code a turn,
uncode and recode one of its own codings (with the version it last saw), decide an open suggestion
(accept / reject / change, with the version it read: another coder may win it, which is a refusal the
process sees, not a loss; when none is open, undo its own last decision, which reopens one) and write a
memo. A write that meets a busy store (SQLite's single writer) is
retried and counted. Each process keeps its own log of what it believes it did.

Afterwards the audit trail and the final state are compared with the logs: every logged action must have
exactly one audit event by that coder (missing = lost, extra = duplicated), every coder's codings and memos
in the store must be exactly what their log adds up to, and every suggestion has at most one standing
decision. Printed per back-end: actions, refusals, retries, wall time, actions/s, p50 / p95 latency.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = ("code", "uncode", "recode", "decide", "memo")
WEIGHTS = (35, 15, 15, 25, 10)


def build_project(sqlite_url: str) -> dict[str, Any]:
    """The 26 sample interviews, the codebook, gold codings, and suggestions on every interview."""
    from toolkit.store.engine import open_store
    from toolkit.studies.demo import build_demo
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.estimator import SuggestConfig
    from toolkit.suggest.lemmas import SimpleLemmatizer
    from toolkit.suggest.suggestions import suggest

    info = build_demo(sqlite_url)
    store = open_store(sqlite_url)
    # A low threshold: enough open suggestions for every process's decisions (this bench measures the store).
    config = SuggestConfig(threshold=0.05, max_codes=3)
    report = suggest(store, embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer(), config=config)
    store.close()
    return {"documents": info["documents"], "suggestions": report.suggestions}


def _retrying(call, stats: Counter):
    """Run one library call; a busy store (SQLite: another writer holds the lock) is retried, and counted."""
    from sqlalchemy.exc import OperationalError

    from toolkit.errors import ConflictError, StaleVersionError

    for attempt in range(200):
        try:
            return call()
        except StaleVersionError:
            raise
        except (ConflictError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "locked" not in str(exc) and "busy" not in str(exc):
                raise
            stats["retries"] += 1
            time.sleep(min(0.2, 0.005 * (attempt + 1)) * random.random())
    raise RuntimeError("store busy for 200 attempts")


def worker(url: str, index: int, actions: int, barrier: Any, out: Any) -> None:
    """One coder: ``actions`` random actions, each logged with its outcome and latency."""
    from sqlalchemy import select

    from toolkit.coding.review import add_coding, add_memo, decide, recode, remove_coding, undo_last
    from toolkit.errors import AlreadyDecidedError, StaleVersionError
    from toolkit.store.engine import open_store
    from toolkit.store.models import Code, Coding, Document, Review, Segment, Suggestion

    rng = random.Random(1000 + index)
    me = f"coder{index}"
    store = open_store(url)
    with store.read() as session:
        turns = list(
            session.execute(
                select(Document.name, Segment.start, Segment.end)
                .join(Segment, Segment.document_id == Document.id)
                .where(Segment.role == "respondent")
            )
        )
        codes = sorted(session.scalars(select(Code.id)))
    mine: dict[int, tuple[str, int]] = {}  # coding id -> (code, version I last saw)
    decided: list[tuple[int, int | None]] = []  # (suggestion, the coding my decision made), newest last
    log: list[dict[str, Any]] = []
    stats: Counter = Counter()
    barrier.wait()
    started = time.perf_counter()
    for _ in range(actions):
        kind = rng.choices(ACTIONS, WEIGHTS)[0]
        if kind in ("uncode", "recode") and not mine:
            kind = "code"
        entry: dict[str, Any] = {"kind": kind}
        t0 = time.perf_counter()
        try:
            if kind == "code":
                doc, start, end = rng.choice(turns)
                code = rng.choice(codes)
                cid = _retrying(lambda: add_coding(store, me, doc, start, end, code), stats)
                mine[cid] = (code, 1)
                entry.update(audit=("coding.add", str(cid)))
            elif kind == "uncode":
                cid = rng.choice(sorted(mine))
                _retrying(lambda: remove_coding(store, me, cid, expected_version=mine[cid][1]), stats)
                del mine[cid]
                entry.update(audit=("coding.remove", str(cid)))
            elif kind == "recode":
                cid = rng.choice(sorted(mine))
                code = rng.choice([c for c in codes if c != mine[cid][0]])
                _retrying(lambda: recode(store, me, cid, code, expected_version=mine[cid][1]), stats)
                mine[cid] = (code, mine[cid][1] + 1)
                entry.update(audit=("coding.recode", str(cid)))
            elif kind == "decide":
                with store.read() as session:
                    open_ids = list(
                        session.execute(
                            select(Suggestion.id, Suggestion.version).where(Suggestion.status == "open").limit(50)
                        )
                    )
                if not open_ids and decided:  # the queue is empty: undo my last decision (it reopens)
                    entry["kind"] = "undo"
                    result = _retrying(lambda: undo_last(store, me), stats)
                    sid, coding = decided.pop()
                    with store.read() as session:
                        assert session.get(Review, result.review_id).suggestion_id == sid
                    mine.pop(coding, None)
                    entry.update(audit=("suggestion.undo", str(sid)), outcome="ok", seconds=time.perf_counter() - t0)
                    log.append(entry)
                    continue
                if not open_ids:
                    entry.update(outcome="none-open")
                    stats["none-open"] += 1
                    log.append(entry)
                    continue
                sid, seen = rng.choice(open_ids)
                decision = rng.choice(("accept", "reject", "change"))
                new_code = rng.choice(codes) if decision == "change" else None
                result = _retrying(
                    lambda: decide(store, me, sid, decision, new_code=new_code, expected_version=seen),
                    stats,
                )
                if result.coding_id is not None:  # the reviewer's new coding: its code read back once
                    with store.read() as session:
                        mine[result.coding_id] = (session.get(Coding, result.coding_id).code_id, 1)
                decided.append((sid, result.coding_id))
                entry.update(audit=(f"suggestion.{decision}", str(sid)), coding=result.coding_id)
            else:
                doc = rng.choice(turns)[0]
                mid = _retrying(lambda: add_memo(store, me, "document", doc, f"memo {index}-{len(log)}"), stats)
                entry.update(audit=("memo.add", str(mid)))
            entry["outcome"] = "ok"
        except (AlreadyDecidedError, StaleVersionError) as exc:
            entry["outcome"] = f"refused {exc.code}"
        entry["seconds"] = time.perf_counter() - t0
        log.append(entry)
    wall = time.perf_counter() - started
    store.close()
    final = {cid: code for cid, (code, _) in mine.items()}
    out.put({"coder": me, "log": log, "final": final, "stats": dict(stats), "wall": wall})


def verify(url: str, results: list[dict[str, Any]]) -> dict[str, int]:
    """Compare the audit trail and the final state with every process's own log."""
    from sqlalchemy import func, select

    from toolkit.store.engine import open_store
    from toolkit.store.models import AuditEvent, Coder, Coding, Memo, Review

    store = open_store(url)
    lost = duplicated = state_mismatch = 0
    with store.read() as session:
        for result in results:
            me = result["coder"]
            logged = Counter(tuple(e["audit"]) for e in result["log"] if e.get("outcome") == "ok")
            audited = Counter(
                (a, i)
                for a, i in session.execute(
                    select(AuditEvent.action, AuditEvent.entity_id).where(AuditEvent.actor == me)
                )
            )
            lost += sum((logged - audited).values())
            duplicated += sum((audited - logged).values())
            coder_id = session.scalar(select(Coder.id).where(Coder.name == me))
            stored = dict(session.execute(select(Coding.id, Coding.code_id).where(Coding.coder_id == coder_id)).all())
            expected = {int(k): v for k, v in result["final"].items()}
            state_mismatch += len(set(stored.items()) ^ set(expected.items()))
            memos = set(session.scalars(select(Memo.id).where(Memo.coder_id == coder_id)))
            logged_memos = {
                int(e["audit"][1]) for e in result["log"] if e.get("outcome") == "ok" and e["kind"] == "memo"
            }
            state_mismatch += len(memos ^ logged_memos)
        double = session.execute(
            select(Review.suggestion_id)
            .where(Review.undone_at.is_(None))
            .group_by(Review.suggestion_id)
            .having(func.count() > 1)
        ).all()
    store.close()
    return {"lost": lost, "duplicated": duplicated, "state_mismatch": state_mismatch, "double_decisions": len(double)}


def run(url: str, processes: int, actions: int) -> dict[str, Any]:
    """Register the coders, start the processes together, collect their logs, verify."""
    from toolkit.coding.review import add_coder
    from toolkit.store.engine import open_store

    store = open_store(url)
    for i in range(processes):
        add_coder(store, f"coder{i}")
    store.close()
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(processes + 1), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, i, actions, barrier, out)) for i in range(processes)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    latencies = sorted(e["seconds"] for r in results for e in r["log"] if "seconds" in e)
    outcomes = Counter(e.get("outcome") for r in results for e in r["log"])
    kinds = Counter(e["kind"] for r in results for e in r["log"] if e.get("outcome") == "ok")
    retries = sum(r["stats"].get("retries", 0) for r in results)
    return {
        "wall": wall,
        "done": len(latencies),
        "outcomes": dict(outcomes),
        "kinds": dict(kinds),
        "retries": retries,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        **verify(url, results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--pg-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from toolkit.store.transfer import transfer

    with tempfile.TemporaryDirectory() as tmp:
        seed = f"sqlite:///{tmp}/seed.sqlite"
        t0 = time.perf_counter()
        built = build_project(seed)
        print(
            f"project: {built['documents']} interviews, suggestions: {built['suggestions']} "
            f"({time.perf_counter() - t0:.0f} s to build)"
        )
        print(
            f"run: {args.processes} coder processes x {args.actions} mixed actions, "
            f"weights {dict(zip(ACTIONS, WEIGHTS, strict=True))}"
        )
        for backend in args.backends.split(","):
            admin = None
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench.sqlite"
                transfer(seed, url)
            else:
                name = f"qda_bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(args.pg_server, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'create database "{name}"'))
                url = make_url(args.pg_server).set(database=name).render_as_string(hide_password=False)
                transfer(seed, url)
            try:
                r = run(url, args.processes, args.actions)
            finally:
                if admin is not None:
                    with admin.connect() as conn:
                        conn.execute(text(f'drop database "{name}" with (force)'))
                    admin.dispose()
            print(
                f"{backend:<8} actions {r['done']} in {r['wall']:.1f} s = {r['done'] / r['wall']:.1f} actions/s; "
                f"latency p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms; retries on a busy store {r['retries']}"
            )
            print(f"         outcomes {r['outcomes']}; done by kind {r['kinds']}")
            print(
                f"         lost {r['lost']}, duplicated {r['duplicated']}, final state differing from the logs "
                f"{r['state_mismatch']}, suggestions with two standing decisions {r['double_decisions']}"
            )


if __name__ == "__main__":
    main()
