"""The audit trail's hash chain: each event seals the one before it, so an edit or a deletion shows.

Every event gets, when its transaction commits, a sequence number ``seq`` (1, 2, 3, ... in commit order),
the previous event's hash and its own::

    hash = sha256(seq | prev_hash | at | actor | action | entity | entity_id | digest(before) | digest(after))

The payloads (``before``/``after``, which can hold transcript text) enter the chain only through their
digests, so a payload can be erased (a participant withdraws) while the chain still verifies; an edited
payload no longer matches its digest. The head of the chain (last ``seq`` and hash) is kept in
``schema_info`` and locked while an event is sealed, so concurrent writers on PostgreSQL chain one after
the other; on SQLite the writer already holds the database's write lock.

:func:`verify_chain` walks the chain and names the first broken link. The chain makes tampering
*evident*, not impossible: someone who can write the database can recompute every hash after an edit.
Note the head hash that ``qda audit verify`` prints somewhere else (a lab notebook, an e-mail) to
anchor it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toolkit.store.models import AuditEvent, SchemaInfo

__all__ = ["HEAD_KEY", "ChainReport", "canonical_payload", "event_hash", "payload_digest", "seal", "verify_chain"]

HEAD_KEY = "audit_head"
GENESIS = "0" * 64


def canonical_payload(payload: Any) -> Any:
    """The payload as the JSON column gives it back (tuples as lists, keys as text)."""
    if payload is None:
        return None
    return json.loads(json.dumps(payload, ensure_ascii=False, default=str))


def payload_digest(payload: Any) -> str | None:
    """sha256 of the canonical JSON of a payload; None for no payload."""
    if payload is None:
        return None
    text = json.dumps(canonical_payload(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _timestamp(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def event_hash(event: AuditEvent) -> str:
    """The hash an event must have, from its fields, its payload digests and ``prev_hash``."""
    fields = [
        str(event.seq),
        event.prev_hash or GENESIS,
        _timestamp(event.at),
        event.actor,
        event.action,
        event.entity,
        event.entity_id or "",
        event.before_digest or "-",
        event.after_digest or "-",
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def _head(session: Session, lock: bool) -> SchemaInfo:
    query = select(SchemaInfo).where(SchemaInfo.key == HEAD_KEY)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        row = SchemaInfo(key=HEAD_KEY, value=f"0:{GENESIS}")
        session.add(row)
        session.flush()
    return row


def seal(session: Session, events: Iterable[AuditEvent]) -> None:
    """Chain the new events of a transaction after the current head, just before it commits."""
    pending = sorted((e for e in events if e.seq is None), key=lambda e: e.id or 0)
    if not pending:
        return
    head = _head(session, lock=True)
    seq_text, prev = head.value.split(":", 1)
    seq = int(seq_text)
    for event in pending:
        seq += 1
        event.seq = seq
        event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
    head.value = f"{seq}:{prev}"
    session.flush()


def chain_all(session: Session) -> int:
    """Chain every unchained event in id order (used by the migration that introduced the chain)."""
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)))
    for event in events:
        event.before = canonical_payload(event.before)
        event.after = canonical_payload(event.after)
        event.before_digest = payload_digest(event.before)
        event.after_digest = payload_digest(event.after)
    session.flush()
    seal(session, events)
    return len(events)


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found."""

    events: int
    erased: int
    head: str
    broken_at: int | None = None
    """The id of the first event whose link is broken (None: the chain holds)."""
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_at is None and not self.reason


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in ``seq`` order and report the first broken link."""
    head_row = session.get(SchemaInfo, HEAD_KEY)
    head_seq, head_hash = head_row.value.split(":", 1) if head_row else ("0", GENESIS)
    expected_seq, prev, erased, count = 1, GENESIS, 0, 0
    query = select(AuditEvent).order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)
    for event in session.scalars(query).yield_per(1000):
        count += 1
        where = f"event {event.id} ({event.action} by {event.actor})"
        if event.seq is None:
            return ChainReport(count, erased, head_hash, event.id, f"{where} is outside the chain (never sealed)")
        if event.seq != expected_seq:
            return ChainReport(
                count,
                erased,
                head_hash,
                event.id,
                f"{where} has sequence number {event.seq}, expected {expected_seq}: "
                f"{event.seq - expected_seq} event(s) before it were deleted",
            )
        if event.prev_hash != prev:
            return ChainReport(count, erased, head_hash, event.id, f"{where} does not follow the event before it")
        for name, payload, digest in (
            ("before", event.before, event.before_digest),
            ("after", event.after, event.after_digest),
        ):
            if payload is None and digest is not None:
                erased += 1
            elif payload_digest(payload) != digest:
                return ChainReport(count, erased, head_hash, event.id, f"{where}: its '{name}' payload was changed")
        if event_hash(event) != event.hash:
            return ChainReport(
                count, erased, head_hash, event.id, f"{where} was changed after it was written (its hash differs)"
            )
        prev = event.hash
        expected_seq += 1
    if int(head_seq) != expected_seq - 1 or head_hash != prev:
        return ChainReport(
            count,
            erased,
            head_hash,
            None,
            f"the chain ends at event number {expected_seq - 1} but its recorded head is number {head_seq}: "
            "the last event(s) were deleted",
        )
    return ChainReport(count, erased, head_hash)
