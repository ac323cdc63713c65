"""The de-identified view of a text: its identifiers replaced by pseudonyms, with a map between offsets.

The original text stays in the store unchanged, and every offset (segments, sentences, codings,
identifiers) keeps pointing into it. A pseudonym (``[PERSON_3]``) is rarely as long as the name it
replaces, so the de-identified text is made when it is read, from the stored identifier spans:
:class:`RedactedText` replaces them and maps any original offset to the view (:meth:`RedactedText.to_view`),
which is what a highlighter needs to underline a coded span in the de-identified text. A span that cuts
into an identifier takes the whole pseudonym: half a name is still a name.

Pure: no store, no spaCy.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RedactedText", "Replacement", "redact"]


@dataclass(frozen=True)
class Replacement:
    """Replace ``text[start:end]`` by ``label``."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class RedactedText:
    """``text`` is the view of the original ``[base, base + original_length)``; offsets map both ways."""

    text: str
    base: int
    original_length: int
    replacements: tuple[Replacement, ...]
    _view_starts: tuple[int, ...]

    def to_view(self, offset: int) -> int:
        """The view offset of an original (absolute) offset; inside an identifier: its pseudonym's edge.

        An offset strictly inside a replaced span maps to the start of its pseudonym when it begins a span
        and to its end when it ends one, so :meth:`slice` never shows part of a pseudonym.
        """
        offset = min(max(offset, self.base), self.base + self.original_length)
        index = bisect.bisect_right([r.start for r in self.replacements], offset) - 1
        if index < 0:
            return offset - self.base
        replacement = self.replacements[index]
        view_start = self._view_starts[index]
        if offset < replacement.end:  # inside (or at the start of) the identifier
            return view_start if offset == replacement.start else view_start + len(replacement.label)
        return view_start + len(replacement.label) + (offset - replacement.end)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """View offsets of the original span ``[start, end)``, widened to whole pseudonyms."""
        view_start = self.to_view(start)
        index = bisect.bisect_right([r.start for r in self.replacements], start) - 1
        if index >= 0 and self.replacements[index].start < start < self.replacements[index].end:
            view_start = self._view_starts[index]
        return view_start, self.to_view(end) if end > start else view_start

    def to_original(self, view_offset: int, *, at_end: bool = False) -> int:
        """The original (absolute) offset of a view offset; inside a pseudonym, the identifier's edge.

        A selection made on the de-identified text comes back to the original with this: an offset inside
        ``[PERSON_3]`` goes to the start of the name it replaces, or to its end with ``at_end``, so a coded
        span holds the whole identifier or none of it.

        Example:
            >>> view = redact("I am Dmitry Savchuk.", [Replacement(5, 19, "[PERSON_1]")])
            >>> view.to_original(7), view.to_original(7, at_end=True), view.to_original(16)
            (5, 19, 19)
        """
        view_offset = min(max(view_offset, 0), len(self.text))
        index = bisect.bisect_right(list(self._view_starts), view_offset) - 1
        if index < 0:
            return self.base + view_offset
        replacement = self.replacements[index]
        view_start = self._view_starts[index]
        view_end = view_start + len(replacement.label)
        if view_offset == view_start:
            return replacement.start
        if view_offset < view_end:
            return replacement.end if at_end else replacement.start
        return replacement.end + (view_offset - view_end)

    def slice(self, start: int, end: int) -> str:
        """The de-identified text of the original span ``[start, end)``."""
        view_start, view_end = self.span(start, end)
        return self.text[view_start:view_end]


def redact(text: str, replacements: Sequence[Replacement], base: int = 0) -> RedactedText:
    """``text`` (which starts at original offset ``base``) with the replacements that touch it applied.

    Overlapping replacements are merged into the first one's label (the store never keeps overlaps,
    but a reviewer's added span may overlap a detection).

    Example:
        >>> view = redact("I am Dmitry Savchuk from Lida.", [Replacement(5, 19, "[PERSON_1]"),
        ...                                                    Replacement(25, 29, "[PLACE_2]")])
        >>> view.text, view.slice(0, 11), view.to_view(29)
        ('I am [PERSON_1] from [PLACE_2].', 'I am [PERSON_1]', 30)
    """
    end_of_text = base + len(text)
    chosen: list[Replacement] = []
    for item in sorted(replacements, key=lambda r: (r.start, -r.end)):
        start, end = max(item.start, base), min(item.end, end_of_text)
        if end <= start:
            continue
        if chosen and start < chosen[-1].end:
            last = chosen[-1]
            chosen[-1] = Replacement(last.start, max(last.end, end), last.label)
            continue
        chosen.append(Replacement(start, end, item.label))
    pieces: list[str] = []
    view_starts: list[int] = []
    cursor, length = base, 0
    for item in chosen:
        before = text[cursor - base : item.start - base]
        pieces.append(before)
        length += len(before)
        view_starts.append(length)
        pieces.append(item.label)
        length += len(item.label)
        cursor = item.end
    pieces.append(text[cursor - base :])
    return RedactedText("".join(pieces), base, len(text), tuple(chosen), tuple(view_starts))
