"""What documents a project holds, one row each, and correcting a document's stored language.

The rows are what ``qda documents`` prints and the dashboard filters on: language, words, turns and
case attributes, so a mixed English/Russian project can be checked at a glance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from toolkit.corpus.language import normalise_language
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import ROLE_RESPONDENT, Document, Segment

__all__ = ["document_rows", "set_language"]

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def document_rows(store: Store) -> list[dict[str, Any]]:
    """One dict per document, by name: name, language, encoding, words, turns, respondent turns, attributes."""
    with store.read() as session:
        turns = dict(session.execute(select(Segment.document_id, func.count()).group_by(Segment.document_id)).all())
        answers = dict(
            session.execute(
                select(Segment.document_id, func.count())
                .where(Segment.role == ROLE_RESPONDENT)
                .group_by(Segment.document_id)
            ).all()
        )
        return [
            {
                "name": doc.name,
                "language": doc.language,
                "encoding": doc.encoding,
                "words": len(_WORD.findall(doc.text)),
                "turns": turns.get(doc.id, 0),
                "respondent_turns": answers.get(doc.id, 0),
                "attributes": dict(doc.attributes or {}),
            }
            for doc in session.scalars(select(Document).order_by(Document.name))
        ]


def set_language(store: Store, names: Sequence[str], language: str, actor: str = "system") -> int:
    """Correct the stored language of documents (a detection error, or a known mixed interview)."""
    try:
        code = normalise_language(language)
    except ValueError as exc:
        raise ToolkitError(str(exc)) from exc
    changed = 0
    with store.transaction(actor=actor) as tx:
        for name in names:
            doc = tx.session.scalar(select(Document).where(Document.name == name))
            if doc is None:
                raise NotFoundError(f"no document {name!r}")
            if doc.language != code:
                before, after = {"language": doc.language}, {"language": code}
                tx.audit("document.language", "document", doc.id, before=before, after=after)
                doc.language = code
                changed += 1
    return changed
