"""Coded spans of a turn as HTML with every piece of transcript text escaped (no Streamlit here).

Transcript text is untrusted: a transcript may contain ``<script>`` or ``<img onerror=...>``. Every text
piece goes through :func:`html.escape` before it is wrapped in a ``<mark>``; only this module builds HTML.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Span", "highlight_html", "safe_text"]


@dataclass(frozen=True)
class Span:
    """A coded span relative to the text being shown."""

    start: int
    end: int
    code: str
    colour: str
    coder: str = ""


def safe_text(text: str) -> str:
    """Escaped text with line breaks kept, for any place that must build HTML."""
    return html.escape(text, quote=True).replace("\n", "<br>")


def _valid_colour(colour: str) -> str:
    return (
        colour
        if len(colour) == 7 and colour.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
        else "#888888"
    )


def highlight_html(text: str, spans: Sequence[Span]) -> str:
    """The text with each coded span underlined in its code's colour; overlapping spans nest by boundary.

    Example:
        >>> highlight_html("a <b> c", [Span(2, 5, "x", "#ff0000")])
        'a <mark style="background:#ff000033;border-bottom:3px solid #ff0000" title="x">&lt;b&gt;</mark> c'
    """
    cuts = sorted({0, len(text), *(max(0, min(len(text), p)) for s in spans for p in (s.start, s.end))})
    pieces = []
    for left, right in itertools.pairwise(cuts):
        if left == right:
            continue
        chunk = safe_text(text[left:right])
        covering = [s for s in spans if s.start <= left and s.end >= right]
        for span in covering:
            colour = _valid_colour(span.colour)
            title = html.escape(f"{span.code}{' (' + span.coder + ')' if span.coder else ''}", quote=True)
            chunk = (
                f'<mark style="background:{colour}33;border-bottom:3px solid {colour}" title="{title}">{chunk}</mark>'
            )
        pieces.append(chunk)
    return "".join(pieces)
