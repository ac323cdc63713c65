"""Code by selection: a small bidirectional Streamlit component (HTML and JavaScript bundled here, no CDN).

The registry's text-annotation components were checked first (``st-span-annotation``,
``streamlit-annotation-tools``, ``ner-span-annotator``...): their last releases are from 2023-2025,
they label tokens rather than character spans, and they render text with their own code, whose escaping
cannot be held to :mod:`toolkit.ui.highlight`'s. This one is one HTML file with inline script: it puts
every piece of data into the page with ``textContent`` (never ``innerHTML``), accepts only ``#rrggbb``
colours, and its Content-Security-Policy forbids any request. It returns offsets in code points, the
toolkit's offsets (``Document.text`` indices), so ``text[start:end]`` is what the researcher selected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

__all__ = ["selection_coder"]

_FRONTEND = Path(__file__).resolve().parent
_component = components.declare_component("qda_selection", path=str(_FRONTEND))


def selection_coder(
    turns: list[dict[str, Any]],
    spans: list[dict[str, Any]],
    codes: list[dict[str, Any]],
    key: str,
) -> dict[str, Any] | None:
    """Show the turns for selecting; return ``{action, start, end, codes, memo, nonce}`` when Save is pressed.

    ``turns``: position, start, end, speaker, text, sentences ([start, end] document offsets).
    ``spans``: start, end, colour, title of the codings to underline. ``codes``: id, name, colour, depth,
    key (a shortcut digit or "").
    """
    value = _component(turns=turns, spans=spans, codes=codes, key=key, default=None)
    return value if isinstance(value, dict) else None
