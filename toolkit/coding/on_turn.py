"""Which codes people have already put on a turn, and who: so a suggestion is only ever something new.

A coding counts for a turn when it is attached to it or its span overlaps the turn's span. The model's
own coder is not a person and never counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from toolkit.store.models import MODEL_CODER, Coder, Coding, Segment

__all__ = ["codes_on_turns"]

_CHUNK = 500


def codes_on_turns(
    session: Session, segment_ids: Iterable[int], only_coder: str | None = None
) -> dict[int, dict[str, list[str]]]:
    """For each turn id: code id -> names of the people who applied it (sorted); turns without codes left out.

    ``only_coder`` limits it to one person's codings (blind coding shows a reviewer nobody else's).
    """
    ids = list(dict.fromkeys(int(s) for s in segment_ids))
    found: dict[int, dict[str, set[str]]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = (
            select(Segment.id, Coding.code_id, Coder.name)
            .join(Coding, Coding.document_id == Segment.document_id)
            .join(Coder, Coding.coder_id == Coder.id)
            .where(
                Segment.id.in_(chunk),
                Coder.name != MODEL_CODER,
                or_(Coding.segment_id == Segment.id, and_(Coding.start < Segment.end, Coding.end > Segment.start)),
            )
        )
        if only_coder is not None:
            query = query.where(Coder.name == only_coder)
        for segment_id, code_id, coder in session.execute(query):
            found.setdefault(segment_id, {}).setdefault(code_id, set()).add(coder)
    return {s: {c: sorted(who) for c, who in sorted(codes.items())} for s, codes in found.items()}
