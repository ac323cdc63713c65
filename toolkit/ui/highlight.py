"""Data shown safely and verbatim: coded spans as escaped HTML, and Markdown escaping (no Streamlit here).

Transcript text, document, coder and code names and attribute values are untrusted: a transcript may
contain ``<script>``, ``<img onerror=...>`` or Markdown such as ``![x](http://host/t.png)``, which would
make the browser fetch an outside URL. Every text piece that becomes HTML goes through :func:`safe_text`
(only this module builds HTML); every piece that a Streamlit Markdown renderer shows (labels, captions,
metric values, expander titles) goes through :func:`md_escape`.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Span", "highlight_html", "kwic_html", "md_escape", "safe_text"]

# Every ASCII punctuation character that Streamlit's Markdown (CommonMark + GFM, KaTeX ``$``, directives
# ``:red[...]``) may give a meaning to; CommonMark lets any of them be escaped with a backslash.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=^\"'/@%;?,])")
# Emoji shortcodes (``:smile:``) are replaced after escapes are resolved, so a word joiner (U+2060,
# invisible) after the opening colon is the only way to keep them as typed.
_SHORTCODE = re.compile(r":(?=[\w+-]+:)")
_WORD_JOINER = "\u2060"


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


def md_escape(text: object) -> str:
    r"""Text that Streamlit's Markdown renderers show exactly as typed: no links, images, LaTeX or emoji.

    Every Markdown special character is backslash-escaped, line breaks become spaces (labels are one
    line), and an invisible word joiner keeps ``:name:`` from becoming an emoji. Use it only where
    Streamlit renders Markdown (labels, captions, metric values, expander titles, st.markdown).

    Example:
        >>> print(md_escape("![x](h) paid $2"))
        \!\[x\]\(h\) paid \$2
    """
    value = " ".join(str(text).splitlines())
    value = _SHORTCODE.sub(":" + _WORD_JOINER, value)
    return _MARKDOWN_SPECIALS.sub(r"\\\1", value)


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


def kwic_html(left: str, keyword: str, right: str) -> str:
    """One keyword-in-context line: the keyword in bold between its escaped left and right context.

    Example:
        >>> kwic_html("took our ", "<passports>", " away")
        '<span style="color:#666">took our </span><b>&lt;passports&gt;</b><span style="color:#666"> away</span>'
    """
    side = '<span style="color:#666">{}</span>'
    return side.format(safe_text(left)) + f"<b>{safe_text(keyword)}</b>" + side.format(safe_text(right))
