"""Read transcript files into text, and find the speaker turns in that text.

Two pure steps, so each can be tested and reused on a Streamlit upload:

* :func:`read_transcript` turns bytes (``.txt``, ``.md``, ``.docx``) into text, detecting UTF-8 (with or
  without BOM), UTF-16 and Cyrillic Windows-1251; bad input raises :class:`InputFileError` naming the
  file and line.
* :func:`parse_turns` finds turns such as ``Interviewer:``, ``Q:``, ``[00:03:12] R:``, ``PARTICIPANT:``
  or a pseudonym (``Natalia:``); each :class:`Turn` carries exact offsets into the text.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from toolkit.errors import InputFileError

__all__ = [
    "MAX_LINE_CHARS",
    "RoleOverrides",
    "Transcript",
    "Turn",
    "decode_transcript_bytes",
    "parse_turns",
    "read_transcript",
]

MAX_LINE_CHARS = 100_000
MAX_FILE_BYTES = 50 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx")

INTERVIEWER_LABELS = frozenset(
    {"interviewer", "int", "i", "q", "question", "moderator", "facilitator", "researcher", "interviewer 1"}
)
RESPONDENT_LABELS = frozenset(
    {"respondent", "resp", "r", "a", "answer", "participant", "p", "interviewee", "survivor", "client"}
)

# Characters that Windows-1251 text about people plausibly contains beyond ASCII.
_CP1251_PLAUSIBLE = set("«»–—“”‘’„…№•\u00a0°±§©®ЁёЎўІіЇїЄєҐґ")


@dataclass(frozen=True)
class Transcript:
    """A decoded transcript: the text exactly as decoded (line ends kept) and how it was read."""

    name: str
    text: str
    encoding: str
    sha256: str
    source_path: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One speaker turn; ``text[start:end]`` of the transcript is its content without the label."""

    start: int
    end: int
    speaker_label: str
    role: str
    timestamp: str | None = None


@dataclass(frozen=True)
class RoleOverrides:
    """Tell the parser who is who when inference is not enough.

    ``interviewer_labels`` / ``respondent_labels`` are matched case-insensitively; ``label_regex`` replaces
    the built-in turn pattern and must have a named group ``label`` (and may have ``ts``).
    """

    interviewer_labels: Sequence[str] = field(default_factory=tuple)
    respondent_labels: Sequence[str] = field(default_factory=tuple)
    label_regex: str | None = None


def _line_of(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


def _check_lines(text: str, name: str) -> None:
    line_no = 1
    for line in text.splitlines():
        if len(line) > MAX_LINE_CHARS:
            raise InputFileError(
                f"line is {len(line):,} characters long (limit {MAX_LINE_CHARS:,}); "
                "this does not look like a transcript: split it into paragraphs",
                file=name,
                line=line_no,
            )
        line_no += 1


def _plausible_cp1251(text: str) -> int | None:
    """Return the index of the first implausible character of a cp1251 decoding, or None if plausible.

    Plausible means: only ASCII, Russian/Belarusian/Ukrainian letters and common typographic marks, and no
    word mixing Latin and Cyrillic letters (a Latin-1 "café" read as cp1251 would give "cafй").
    """
    for index, char in enumerate(text):
        if ord(char) < 128:
            if char in "\t\n\r" or char.isprintable():
                continue
            return index
        if "\u0410" <= char <= "\u044f" or char in _CP1251_PLAUSIBLE:
            continue
        return index
    for match in re.finditer(r"[^\W\d_]+", text):
        word = match.group()
        has_cyrillic = any("\u0400" <= c <= "\u04ff" for c in word)
        if has_cyrillic and any(c.isascii() for c in word):
            return match.start()
    return None


def decode_transcript_bytes(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes to text and say which encoding was used; raise on binary or invalid bytes.

    Order: an explicit ``encoding``; a BOM (UTF-8, UTF-16); strict UTF-8; UTF-16 without BOM (many NULs);
    Windows-1251 when the result reads as Cyrillic text. Anything else is refused, naming the line of the
    first byte that is not valid UTF-8, because guessing would silently corrupt quotes.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            index = getattr(exc, "start", 0)
            raise InputFileError(f"cannot be read as {encoding}: {exc}", file=name, line=_line_of(data, index)) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"invalid UTF-8 byte 0x{data[3 + exc.start]:02x} after a UTF-8 byte-order mark",
                file=name,
                line=_line_of(data, 3 + exc.start),
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputFileError(f"invalid UTF-16 data: {exc.reason}", file=name) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error.start
    else:
        if "\x00" in text:
            return _decode_nul_text(data, text, name)
        return text, "utf-8"
    if data.count(b"\x00") > len(data) // 4:
        return _decode_nul_text(data, None, name)
    if b"\x00" in data:
        raise InputFileError(
            "binary file (contains NUL bytes); import .txt, .md or .docx transcripts",
            file=name,
            line=_line_of(data, data.index(b"\x00")),
        )
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_cp1251(text) is None and re.search("[\u0410-\u044f]", text):
        return text, "cp1251"
    raise InputFileError(
        f"invalid byte 0x{data[first_bad]:02x}: not UTF-8, UTF-16 or Windows-1251 text; "
        "re-save the file as UTF-8 or name the encoding with --encoding",
        file=name,
        line=_line_of(data, first_bad),
    )


def _decode_nul_text(data: bytes, utf8_text: str | None, name: str) -> tuple[str, str]:
    """UTF-16 without a BOM has a NUL in every other byte; anything else with NULs is binary."""
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = max(1, len(data) // 2)
    for codec, nuls in (("utf-16-le", odd_nuls), ("utf-16-be", even_nuls)):
        if nuls > 0.3 * half and len(data) % 2 == 0:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text, codec
    raise InputFileError(
        "binary file (contains NUL bytes); import .txt, .md or .docx transcripts",
        file=name,
        line=_line_of(data, data.index(b"\x00")),
    )


def _docx_text(data: bytes, name: str) -> str:
    """Paragraphs of a .docx joined by newlines; tables are read row by row."""
    import docx  # python-docx, imported lazily: only .docx needs it

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputFileError(f"not a readable .docx file ({exc})", file=name) from exc
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(paragraphs)


def read_transcript(
    source: str | Path | bytes | BinaryIO,
    name: str | None = None,
    encoding: str | None = None,
) -> Transcript:
    """Read a transcript from a path, raw bytes or a file object (e.g. a Streamlit upload).

    Example:
        >>> t = read_transcript(b"Q: Hello?\\nA: Hi.", name="S00.txt")
        >>> t.name, t.encoding
        ('S00', 'utf-8')
    """
    source_path = ""
    if isinstance(source, str | Path):
        path = Path(source)
        source_path = str(path)
        display = str(path)
        if not path.is_file():
            raise InputFileError("no such file", file=display)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(f"file is {size:,} bytes (limit {MAX_FILE_BYTES:,})", file=display)
        data = path.read_bytes()
        name = name or path.stem
        suffix = path.suffix.lower()
    else:
        data = source if isinstance(source, bytes) else source.read()
        display = name or getattr(source, "name", "<upload>")
        suffix = Path(display).suffix.lower() or ".txt"
        name = Path(display).stem if name is None or "." in name else name
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(f"unsupported file type {suffix!r}; import {', '.join(SUPPORTED_SUFFIXES)}", file=display)
    if not data.strip():
        raise InputFileError("empty file: nothing to import", file=display, line=1)
    sha256 = hashlib.sha256(data).hexdigest()
    if suffix == ".docx":
        text, used = _docx_text(data, display), "docx"
    else:
        text, used = decode_transcript_bytes(data, display, encoding)
    _check_lines(text, display)
    if not text.strip():
        raise InputFileError("no text in the file", file=display, line=1)
    return Transcript(name=name, text=text, encoding=used, sha256=sha256, source_path=source_path)


_DEFAULT_TURN = re.compile(
    r"""^[ \t\u00a0]*
    (?:\[?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\]?[ \t]*(?:[-–][ \t]*)?)?
    (?P<label>[^\W\d_][\w.'’\- ]{0,29}?)
    [ \t]*:(?=\s|$)""",
    re.VERBOSE,
)


@dataclass
class _Candidate:
    line_start: int
    content_start: int
    label: str
    timestamp: str | None


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        out.append((offset, line))
        offset += len(line)
    return out


def _normalise_label(label: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", label).split()).lower()


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _infer_roles(labels: list[str], turn_texts: dict[str, list[str]], overrides: RoleOverrides) -> dict[str, str]:
    """Map each speaker label to interviewer / respondent / other."""
    forced_i = {_normalise_label(x) for x in overrides.interviewer_labels}
    forced_r = {_normalise_label(x) for x in overrides.respondent_labels}
    roles: dict[str, str] = {}
    for label in labels:
        key = _normalise_label(label)
        if key in forced_i:
            roles[label] = "interviewer"
        elif key in forced_r:
            roles[label] = "respondent"
        elif key in INTERVIEWER_LABELS:
            roles[label] = "interviewer"
        elif key in RESPONDENT_LABELS:
            roles[label] = "respondent"
    unknown = [label for label in labels if label not in roles]
    if not unknown:
        return roles
    has_interviewer = "interviewer" in roles.values()

    def question_share(label: str) -> float:
        texts = turn_texts.get(label, [])
        return sum(t.rstrip().endswith("?") for t in texts) / max(1, len(texts))

    if not has_interviewer:
        asker = max(unknown, key=question_share)
        roles[asker] = "interviewer"
        unknown.remove(asker)
    for label in unknown:
        roles[label] = "respondent"
    return roles


def parse_turns(text: str, overrides: RoleOverrides | None = None) -> tuple[list[Turn], list[str]]:
    """Find speaker turns; return them with warnings for a reader.

    A line that starts with a speaker label (optionally after a timestamp) opens a turn; following lines
    and paragraphs without a label continue it. Text before the first turn (a header) becomes a turn of
    role ``other``. A label counts as a speaker when it is a known one or when it opens at least two
    turns, so that a single ``Note:`` inside an answer does not split it. With no turns found, the whole
    text is one turn of role ``other`` and a warning says so.

    Example:
        >>> turns, _ = parse_turns("Q: Where are you from?\\nA: From Brest.")
        >>> [(t.speaker_label, t.role) for t in turns]
        [('Q', 'interviewer'), ('A', 'respondent')]
    """
    overrides = overrides or RoleOverrides()
    pattern = re.compile(overrides.label_regex, re.MULTILINE) if overrides.label_regex else _DEFAULT_TURN
    candidates: list[_Candidate] = []
    for line_start, line in _lines_with_offsets(text):
        match = pattern.match(line)
        if not match or not match.group("label").strip():
            continue
        groups = match.groupdict()
        candidates.append(
            _Candidate(
                line_start=line_start,
                content_start=line_start + match.end(),
                label=" ".join(match.group("label").split()),
                timestamp=groups.get("ts"),
            )
        )
    counts = Counter(_normalise_label(c.label) for c in candidates)
    forced = {_normalise_label(x) for x in (*overrides.interviewer_labels, *overrides.respondent_labels)}

    known_present = {k for k in counts if k in INTERVIEWER_LABELS or k in RESPONDENT_LABELS}

    def is_speaker(label: str) -> bool:
        # a one-letter label ("A:") alone once could be prose; with a second known label it is a transcript
        key = _normalise_label(label)
        if overrides.label_regex or key in forced or counts[key] >= 2:
            return True
        return key in known_present and (len(key) > 1 or len(known_present) >= 2)

    speakers = [c for c in candidates if is_speaker(c.label)]
    warnings: list[str] = []
    if not speakers:
        start, end = _strip_span(text, 0, len(text))
        warnings.append("no speaker turns recognised: imported as one segment")
        return [Turn(start=start, end=end, speaker_label="", role="other")], warnings

    bounds = [*(c.line_start for c in speakers[1:]), len(text)]
    raw: list[tuple[_Candidate, int, int]] = []
    for cand, next_start in zip(speakers, bounds, strict=True):
        start, end = _strip_span(text, cand.content_start, next_start)
        raw.append((cand, start, end))
    labels = list(dict.fromkeys(c.label for c, _, _ in raw))
    turn_texts: dict[str, list[str]] = {}
    for cand, start, end in raw:
        turn_texts.setdefault(cand.label, []).append(text[start:end])
    roles = _infer_roles(labels, turn_texts, overrides)

    turns: list[Turn] = []
    head_start, head_end = _strip_span(text, 0, speakers[0].line_start)
    if head_end > head_start:
        turns.append(Turn(start=head_start, end=head_end, speaker_label="", role="other"))
    for cand, start, end in raw:
        if end <= start:
            start = end = cand.content_start
        turns.append(
            Turn(start=start, end=end, speaker_label=cand.label, role=roles[cand.label], timestamp=cand.timestamp)
        )
    if not any(t.role == "respondent" for t in turns):
        warnings.append("no respondent turns recognised; name them with --respondent-label")
    return turns, warnings
