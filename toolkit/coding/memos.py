"""Memos beyond adding them (:func:`toolkit.coding.review.add_memo`): edit, delete, export.

A memo belongs to its author: only they edit or delete it, each change one audited transaction that
keeps the text before and after. Exports are CSV (formula-safe) or JSON lines with what the memo is
about (a code id, a document name, or a coding with its document, code and quote).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from toolkit.coding.review import list_memos
from toolkit.corpus.identifiers import register_memo_identifiers
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.io.csv_safe import write_csv
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import Code, Coding, Document, Memo

__all__ = ["MEMO_COLUMNS", "delete_memo", "edit_memo", "export_memos", "memo_rows"]

MEMO_COLUMNS = ("id", "target_type", "target", "about", "coder", "created_at", "text")


def _own_memo(tx: Transaction, coder: str, memo_id: int) -> Memo:
    who = tx.coder(coder, create=False)
    memo = tx.session.get(Memo, memo_id)
    if memo is None:
        raise NotFoundError(f"no memo {memo_id}")
    if memo.coder_id != who.id:
        raise ToolkitError(f"memo {memo_id} was written by someone else; {coder} may change only their own")
    return memo


def edit_memo(store: Store, coder: str, memo_id: int, text: str) -> None:
    """Replace the text of one of the coder's memos."""
    if not text.strip():
        raise ToolkitError("an empty memo says nothing; delete it instead")
    with store.transaction(actor=coder) as tx:
        memo = _own_memo(tx, coder, memo_id)
        before = memo.text
        memo.text = text.strip()
        tx.audit("memo.edit", "memo", memo_id, before={"text": before}, after={"text": memo.text})
        tx.session.flush()
        register_memo_identifiers(tx)


def delete_memo(store: Store, coder: str, memo_id: int) -> None:
    """Delete one of the coder's memos (the audit trail keeps its text)."""
    with store.transaction(actor=coder) as tx:
        memo = _own_memo(tx, coder, memo_id)
        tx.audit(
            "memo.delete", "memo", memo_id, before={"target": f"{memo.target_type}:{memo.target_id}", "text": memo.text}
        )
        tx.session.delete(memo)


def memo_rows(store: Store, *, raw: bool = False) -> list[dict[str, Any]]:
    """Every memo with a readable ``about``: the code's name, the document, or the coding's place and code.

    The text has the project's known identifiers replaced unless ``raw`` (see :func:`list_memos`).
    """
    memos = list_memos(store, raw=raw)
    with store.read() as session:
        names = dict(session.execute(select(Code.id, Code.name)).all())
        coding_ids = [int(m["target"]) for m in memos if m["target_type"] == "coding" and str(m["target"]).isdigit()]
        codings = {
            c.id: (doc, c.code_id, c.start, c.end)
            for c, doc in session.execute(
                select(Coding, Document.name)
                .join(Document, Coding.document_id == Document.id)
                .where(Coding.id.in_(coding_ids))
            )
        }
    out = []
    for memo in memos:
        if memo["target_type"] == "code":
            about = f"{names.get(memo['target'], '(code removed)')} ({memo['target']})"
        elif memo["target_type"] == "document":
            about = str(memo["target"])
        else:
            found = codings.get(int(memo["target"])) if str(memo["target"]).isdigit() else None
            about = f"{found[0]} {found[2]}-{found[3]} {found[1]}" if found else "(coding removed)"
        out.append({**memo, "about": about})
    return out


def export_memos(store: Store, fmt: str = "csv", *, raw: bool = False, actor: str = "system") -> str:
    """Every memo as CSV or JSON lines (columns of :data:`MEMO_COLUMNS`), de-identified unless ``raw`` (audited)."""
    rows = memo_rows(store, raw=raw)
    if raw:
        from toolkit.corpus.identifiers import audit_raw_access

        audit_raw_access(store, ["memos"], actor, "memo export")
    if fmt == "jsonl":
        return "".join(json.dumps({k: r[k] for k in MEMO_COLUMNS}, ensure_ascii=False) + "\n" for r in rows)
    if fmt != "csv":
        raise ToolkitError(f"unknown format {fmt!r}; use csv or jsonl")
    return write_csv(rows, MEMO_COLUMNS)
