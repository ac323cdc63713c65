"""Undo for hand coding, as :func:`toolkit.coding.review.undo_last` is for review decisions.

The audit trail already holds every hand-coding action with its state before and after (``coding.add``,
``coding.remove``, ``coding.recode``), so undo reads the coder's latest action that is not undone yet
and reverses it in one transaction, recording a ``coding.undo`` event that names the event it undid.
Undoing again steps further back. A removed coding comes back with its old id when that id is free
(otherwise a new one, recorded so an older undo still finds it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from toolkit.errors import ToolkitError
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import AuditEvent, Coding

__all__ = ["UNDOABLE", "undo_last_coding"]

UNDOABLE = ("coding.add", "coding.remove", "coding.recode")


def _undone(tx: Transaction, coder: str) -> tuple[set[int], dict[int, int]]:
    """Events of this coder already undone, and coding ids that came back under a new id."""
    done: set[int] = set()
    moved: dict[int, int] = {}
    for event in tx.session.scalars(
        select(AuditEvent).where(AuditEvent.actor == coder, AuditEvent.action == "coding.undo")
    ):
        after = event.after or {}
        done.add(int(after.get("undid", -1)))
        if after.get("recreated_as") is not None:
            moved[int(after["was"])] = int(after["recreated_as"])
    return done, moved


def _resolve(moved: dict[int, int], coding_id: int) -> int:
    seen = set()
    while coding_id in moved and coding_id not in seen:
        seen.add(coding_id)
        coding_id = moved[coding_id]
    return coding_id


def undo_last_coding(store: Store, coder: str) -> dict[str, Any] | None:
    """Reverse the coder's latest hand-coding action not undone yet; None when there is nothing to undo.

    Raises:
        ToolkitError: the coding that action touched has since been changed by another way (e.g. merged).
    """
    with store.transaction(actor=coder) as tx:
        who = tx.coder(coder, create=False)
        done, moved = _undone(tx, coder)
        events = tx.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.actor == coder, AuditEvent.action.in_(UNDOABLE))
            .order_by(AuditEvent.id.desc())
        )
        event = next((e for e in events if e.id not in done), None)
        if event is None:
            return None
        coding_id = _resolve(moved, int(event.entity_id))
        after: dict[str, Any] = {"undid": event.id, "action": event.action, "was": coding_id}
        coding = tx.session.get(Coding, coding_id)
        if event.action == "coding.remove":
            values = dict(event.before or {})
            restored = Coding(
                document_id=values["document_id"],
                segment_id=values.get("segment_id"),
                code_id=values["code"],
                coder_id=who.id,
                start=values["start"],
                end=values["end"],
                origin=values.get("origin", "human"),
            )
            if coding is None:
                restored.id = coding_id
            tx.session.add(restored)
            tx.session.flush()
            if restored.id != coding_id:
                after["recreated_as"] = restored.id
            after["coding_id"] = restored.id
        else:
            if coding is None or coding.coder_id != who.id:
                raise ToolkitError(f"cannot undo: coding {coding_id} is gone or no longer {coder}'s")
            if event.action == "coding.add":
                added = event.after or {}
                if (coding.document_id, coding.start, coding.end) != (
                    added.get("document_id"),
                    added.get("start"),
                    added.get("end"),
                ):
                    raise ToolkitError(f"cannot undo: coding {coding_id} is not the one added")
                tx.session.delete(coding)
            else:
                previous = (event.before or {}).get("code")
                if coding.code_id != (event.after or {}).get("code") or not isinstance(previous, str):
                    raise ToolkitError(f"cannot undo: coding {coding_id} has been changed since")
                coding.code_id = previous
            after["coding_id"] = coding_id
        tx.audit("coding.undo", "coding", str(after["coding_id"]), before={"event": event.action}, after=after)
        return after
