"""Read transcript files into text, and find the speaker turns in that text.

Two pure steps, so each can be tested and reused on a Streamlit upload:

* :func:`read_transcript` turns bytes (``.txt``, ``.md``, ``.docx``, ``.srt``, ``.vtt``) into text,
  detecting UTF-8 (with or without BOM), UTF-16, UTF-32 and the Cyrillic code pages; bad input raises
  :class:`InputFileError` naming the file and line.
* :func:`parse_turns` finds turns such as ``Interviewer:``, ``Q:``, ``[00:03:12] R:``, ``PARTICIPANT:``
  or a pseudonym (``Natalia:``), or the cues of SRT/WebVTT subtitles (whatever the file is called); each
  :class:`Turn` carries exact offsets into the text.

Hostile input is bounded by the caps below (each message names the limit and what to do), and a
user-supplied ``--label-regex`` runs with a time budget per document.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import regex

from toolkit.errors import InputFileError
from toolkit.io.docx_reader import docx_text
from toolkit.io.source import SourceLike, read_source

__all__ = [
    "LABEL_REGEX_SECONDS",
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "MAX_TURNS",
    "RoleOverrides",
    "Transcript",
    "Turn",
    "check_encoding",
    "compile_label_regex",
    "decode_transcript_bytes",
    "decode_with_confidence",
    "detect_cyrillic",
    "encoding_warning",
    "looks_like_subtitles",
    "parse_turns",
    "read_transcript",
]

# Caps on hostile or mistaken input; an interview is ~10-200 KB, a few hundred turns, lines under 5,000 chars.
MAX_LINE_CHARS = 100_000  # one line; longer is not a transcript (a minified file, a binary blob)
MAX_FILE_BYTES = 50 * 1024 * 1024  # one file on disk
MAX_TURNS = 20_000  # speaker turns (or subtitle cues) per document: a 3-hour interview has ~1,500
LABEL_REGEX_SECONDS = 2.0  # time budget of a user's --label-regex over one document
MAX_LABEL_CHARS = 100  # a speaker label (the store's column); the built-in pattern allows 30
MAX_TIMESTAMP_CHARS = 16  # a turn's timestamp (the store's column)
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".srt", ".vtt")
SUBTITLE_SUFFIXES = (".srt", ".vtt")
# Codecs that decode escapes or domain names rather than text; they can yield lone surrogates and NULs.
_NOT_TEXT_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"})

INTERVIEWER_LABELS = frozenset(
    {"interviewer", "int", "i", "q", "question", "moderator", "facilitator", "researcher", "interviewer 1"}
)
RESPONDENT_LABELS = frozenset(
    {"respondent", "resp", "r", "a", "answer", "participant", "p", "interviewee", "survivor", "client"}
)

# Characters that Windows-1251 text about people plausibly contains beyond ASCII.
_CYRILLIC_PLAUSIBLE = set("«»–—“”‘’„…№•\u00a0°±§©®ЁёЎўІіЇїЄєҐґ")


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
    the built-in turn pattern and must have a named group ``label`` (and may have ``ts``). ``statement``: a
    text with no speaker turns is one respondent's own account (a published statement, a written answer),
    imported as one respondent turn so that codes are suggested for it, instead of one turn of role ``other``.
    """

    interviewer_labels: Sequence[str] = field(default_factory=tuple)
    respondent_labels: Sequence[str] = field(default_factory=tuple)
    label_regex: str | None = None
    statement: bool = False


def _line_of(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


# What str.splitlines() breaks lines at; a run of anything else is one line.
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_CONTENT = re.compile(f"[^{_BREAKS}]+")
_LINE = re.compile(f"[^{_BREAKS}]*(?:\r\n|[{_BREAKS}])|[^{_BREAKS}]+")  # a line with its end, as splitlines


def _check_lines(text: str, name: str) -> None:
    """Refuse a line over :data:`MAX_LINE_CHARS`, without building a list of all lines (a 40 MB file has millions)."""
    for run in _LINE_CONTENT.finditer(text):
        if run.end() - run.start() > MAX_LINE_CHARS:
            raise InputFileError(
                f"line is {run.end() - run.start():,} characters long (limit {MAX_LINE_CHARS:,}); "
                "this does not look like a transcript: split it into paragraphs",
                file=name,
                line=len(text[: run.start()].splitlines()) + 1,
            )


def _plausible_cyrillic(text: str) -> int | None:
    """Return the index of the first implausible character of a Cyrillic decoding, or None if plausible.

    Plausible means: only ASCII, Russian/Belarusian/Ukrainian letters and common typographic marks, and no
    word mixing Latin and Cyrillic letters (a Latin-1 "café" read as cp1251 would give "cafй").
    """
    for index, char in enumerate(text):
        if ord(char) < 128:
            if char in "\t\n\r" or char.isprintable():
                continue
            return index
        if "\u0410" <= char <= "\u044f" or char in _CYRILLIC_PLAUSIBLE:
            continue
        return index
    for match in re.finditer(r"[^\W\d_]+", text):
        word = match.group()
        has_cyrillic = any("\u0400" <= c <= "\u04ff" for c in word)
        if has_cyrillic and any(c.isascii() for c in word):
            return match.start()
    return None


def check_encoding(encoding: str) -> None:
    """Refuse names that are not text encodings (``hex``, ``rot13``, ``unicode_escape``...) with a clear error.

    Escape-decoding codecs turn ``\\ud800`` or ``\\x00`` in the bytes into lone surrogates and NULs, which
    no store can hold; binary codecs do not produce text at all.
    """
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InputFileError(f"unknown encoding {encoding!r} (--encoding); use e.g. utf-8, utf-16 or cp1251") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_TEXT_CODECS:
        raise InputFileError(f"{encoding!r} is not a text encoding (--encoding); use e.g. utf-8, utf-16 or cp1251")


def _check_text(text: str, name: str) -> None:
    """Decoded text must be storable as UTF-8: no NUL characters, no lone surrogates."""
    bad = re.search("[\x00\ud800-\udfff]", text)
    if bad is None:
        return
    line = text.count("\n", 0, bad.start()) + 1
    what = "a NUL character" if bad.group() == "\x00" else f"a lone surrogate U+{ord(bad.group()):04X}"
    raise InputFileError(
        f"decoded text contains {what}: this is not a text transcript in that encoding", file=name, line=line
    )


def decode_transcript_bytes(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes to text and say which encoding was used (see :func:`decode_with_confidence`)."""
    text, used, _chaos = decode_with_confidence(data, name, encoding)
    return text, used


def decode_with_confidence(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str, float]:
    """Decode bytes to text; say which encoding was used and how odd the text reads (0.0: sure).

    The oddness is charset-normalizer's chaos for a detected Cyrillic code page, 0.0 otherwise, so the
    importer can warn without detecting twice. Raises on binary or invalid bytes.

    Order: an explicit ``encoding``; a BOM (UTF-8, UTF-32, UTF-16; a UTF-16 mark on a UTF-8 body is refused);
    strict UTF-8; UTF-16 without BOM (many NULs); a Cyrillic code page (:func:`detect_cyrillic`) when the
    result reads as Cyrillic text. Anything else is refused, naming the line of the first byte that is not
    valid UTF-8, because guessing would silently corrupt quotes.
    """
    if encoding:
        check_encoding(encoding)
        try:
            return data.decode(encoding), encoding, 0.0
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"cannot be read as {encoding}: {exc}", file=name, line=_line_of(data, exc.start)
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", 0.0
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"invalid UTF-8 byte 0x{data[3 + exc.start]:02x} after a UTF-8 byte-order mark",
                file=name,
                line=_line_of(data, 3 + exc.start),
            ) from exc
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        try:
            return data.decode("utf-32"), "utf-32", 0.0
        except UnicodeDecodeError as exc:
            raise InputFileError(f"invalid UTF-32 data: {exc.reason}", file=name) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _refuse_utf8_behind_utf16_bom(data, name)
        try:
            return data.decode("utf-16"), "utf-16", 0.0
        except UnicodeDecodeError as exc:
            raise InputFileError(f"invalid UTF-16 data: {exc.reason}", file=name) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error.start
    else:
        if "\x00" in text:
            return (*_decode_nul_text(data, text, name), 0.0)
        return text, "utf-8", 0.0
    if data.count(b"\x00") > len(data) // 4:
        return (*_decode_nul_text(data, None, name), 0.0)
    if b"\x00" in data:
        raise InputFileError(
            "binary file (contains NUL bytes); import .txt, .md or .docx transcripts",
            file=name,
            line=_line_of(data, data.index(b"\x00")),
        )
    detected = detect_cyrillic(data)
    if detected is not None:
        return detected
    raise InputFileError(
        f"invalid byte 0x{data[first_bad]:02x}: not UTF-8, UTF-16 or Cyrillic (Windows-1251, KOI8-R, DOS 866) text; "
        "re-save the file as UTF-8 or name the encoding with --encoding",
        file=name,
        line=_line_of(data, first_bad),
    )


CYRILLIC_CODEPAGES = ("cp1251", "koi8_r", "cp866")
"""The single-byte code pages Russian and Belarusian transcripts arrive in (Windows, Unix, DOS)."""

LOW_CONFIDENCE_CHAOS = 0.2
"""charset-normalizer's "chaos" (share of odd characters) above which a detection earns a warning.

Measured: Russian text in any of the three code pages 0.0; the sample's S11 (English with Russian
phrases, cp1251) 0.17, which is read right, so it must not warn."""


def detect_cyrillic(data: bytes) -> tuple[str, str, float] | None:
    """Text, code page and chaos of bytes in one of :data:`CYRILLIC_CODEPAGES`, or None.

    charset-normalizer tells the code pages apart by how the decoded text reads (KOI8-R decoded as cp1251
    is Cyrillic too, but nonsense); it is isolated to these code pages, because a guess among every
    code page stores a Latin-1 "café" as some other alphabet. The result must also read as plausible
    Cyrillic text (:func:`_plausible_cyrillic`), else None: refusing beats storing mojibake.
    """
    from charset_normalizer import from_bytes

    for match in from_bytes(data, cp_isolation=list(CYRILLIC_CODEPAGES), preemptive_behaviour=False):
        text = str(match)
        # a Cyrillic word of three letters at least: two stray bytes can always be read as some letter
        if _plausible_cyrillic(text) is None and re.search("[\u0400-\u04ff]{3,}", text):
            return text, match.encoding, float(match.chaos)
    return None


def encoding_warning(encoding: str, chaos: float) -> str | None:
    """A warning for the importer when a Cyrillic code page was detected with little confidence."""
    if encoding not in CYRILLIC_CODEPAGES or chaos <= LOW_CONFIDENCE_CHAOS:
        return None
    return (
        f"read as {encoding}, but {chaos:.0%} of the text looks odd; check a quote, and force the "
        "encoding with --encoding if it is wrong"
    )


def _refuse_utf8_behind_utf16_bom(data: bytes, name: str) -> None:
    """A UTF-16 byte-order mark on a UTF-8 body would decode to CJK characters: refuse, say why."""
    try:
        as_utf8 = data[2:].decode("utf-8")
    except UnicodeDecodeError:
        return
    # Real UTF-16 read as UTF-8 is full of control characters (NULs, or 0x04 after every Cyrillic letter).
    if not as_utf8 or any(char < " " and char not in "\t\n\r" for char in as_utf8):
        return
    raise InputFileError(
        "the file starts with a UTF-16 byte-order mark but the text after it is UTF-8; "
        "re-save it as UTF-8 (or remove the first two bytes)",
        file=name,
        line=1,
    )


def _decode_nul_text(data: bytes, utf8_text: str | None, name: str) -> tuple[str, str]:
    """UTF-16 without a BOM: the high byte of each character comes from one or two values; else binary.

    English UTF-16 has a NUL in every other byte, but Cyrillic has 0x04 there and only its spaces and
    punctuation give NULs (about one byte in six), so counting NULs alone refused Russian transcripts as
    binary. The test is the one a reader would make: the high bytes come from at most two values (0x00 and
    one script's block), and the decoded text is printable.
    """
    if len(data) % 2 == 0:
        for codec, high_bytes in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
            common = Counter(high_bytes).most_common(2)
            if 0 not in dict(common) or sum(n for _, n in common) < 0.95 * len(high_bytes):
                continue
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            printable = sum(ch.isprintable() or ch in "\t\n\r" for ch in text)
            if "\x00" not in text and printable >= 0.98 * len(text):
                return text, codec
    raise InputFileError(
        "binary file (contains NUL bytes); import .txt, .md or .docx transcripts",
        file=name,
        line=_line_of(data, data.index(b"\x00")),
    )


def read_transcript(
    source: SourceLike,
    name: str | None = None,
    encoding: str | None = None,
) -> Transcript:
    """Read a transcript from a path, raw bytes or a file object (e.g. a Streamlit upload).

    Example:
        >>> t = read_transcript(b"Q: Hello?\\nA: Hi.", name="S00.txt")
        >>> t.name, t.encoding
        ('S00', 'utf-8')
    """
    loaded = read_source(source, name, limit=MAX_FILE_BYTES, error=InputFileError)
    data, display = loaded.data, loaded.display
    source_path = str(loaded.path) if loaded.path else ""
    suffix = loaded.suffix or ".txt"
    if loaded.path is not None:
        name = name or loaded.stem
    else:
        name = loaded.stem if name is None or "." in name else name
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(f"unsupported file type {suffix!r}; import {', '.join(SUPPORTED_SUFFIXES)}", file=display)
    if not data.strip():
        raise InputFileError("empty file: nothing to import", file=display, line=1)
    sha256 = hashlib.sha256(data).hexdigest()
    if suffix == ".docx":
        text, used, chaos = docx_text(data, display), "docx", 0.0
    else:
        text, used, chaos = decode_with_confidence(data, display, encoding)
        _check_text(text, display)
    _check_lines(text, display)
    if suffix in SUBTITLE_SUFFIXES and text.strip() and not looks_like_subtitles(text):
        raise InputFileError(
            f"not {suffix[1:].upper()} subtitles: expected 'WEBVTT' or a cue number and a timing line "
            "such as '00:00:01,000 --> 00:00:04,000'; rename the file to .txt to import it as plain text",
            file=display,
            line=1,
        )
    if not text.strip():
        raise InputFileError("no text in the file", file=display, line=1)
    warning = encoding_warning(used, chaos)
    return Transcript(
        name=name,
        text=text,
        encoding=used,
        sha256=sha256,
        source_path=source_path,
        warnings=(warning,) if warning else (),
    )


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


def _lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    """Each line (with its line end) and its offset, one at a time: a caller may stop early."""
    for line in _LINE.finditer(text):
        yield line.start(), line.group()


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


def compile_label_regex(pattern: str) -> regex.Pattern[str]:
    """Compile a user's ``--label-regex`` with the ``regex`` package (it can run with a timeout).

    An invalid pattern, or one without a named group ``label``, is an :class:`InputFileError` that quotes it.
    """
    try:
        compiled = regex.compile(pattern, regex.MULTILINE)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise InputFileError(f"--label-regex {pattern!r} is not a valid regular expression: {exc}") from None
    if "label" not in compiled.groupindex:
        raise InputFileError(f"--label-regex {pattern!r} needs a named group 'label', e.g. '^(?P<label>\\w+) >'")
    return compiled


def _too_many_turns(count: int, name: str | None, line: int | None) -> InputFileError:
    return InputFileError(
        f"more than {MAX_TURNS:,} speaker turns ({count:,} found so far; limit {MAX_TURNS:,} per document): "
        "this does not look like one interview; split it into several files",
        file=name,
        line=line,
    )


class _LineMatcher:
    """Match the turn pattern against one line; a user's pattern shares a time budget per document."""

    def __init__(self, overrides: RoleOverrides, name: str | None) -> None:
        pattern = overrides.label_regex
        self.user_pattern = compile_label_regex(pattern) if pattern is not None else None
        self.name = name
        self.deadline = time.monotonic() + LABEL_REGEX_SECONDS

    def match(self, line: str, line_no: int) -> tuple[str, int, str | None] | None:
        """(label, end of the match, timestamp) or None."""
        found: re.Match[str] | regex.Match[str] | None
        if self.user_pattern is not None:
            left = self.deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                found = self.user_pattern.match(line, timeout=left)
            except TimeoutError:
                raise InputFileError(
                    f"--label-regex took more than {LABEL_REGEX_SECONDS:g} s on this document (stopped at this "
                    "line); simplify the pattern (avoid nested repetition such as '(a+)+')",
                    file=self.name,
                    line=line_no,
                ) from None
        else:
            found = _DEFAULT_TURN.match(line)
        if not found:
            return None
        label = found.group("label")
        if not label or not label.strip():
            return None
        label = " ".join(label.split())
        timestamp = found.groupdict().get("ts")
        timestamp = timestamp if isinstance(timestamp, str) else None
        if len(label) > MAX_LABEL_CHARS or len(timestamp or "") > MAX_TIMESTAMP_CHARS:
            raise InputFileError(
                f"--label-regex matched a speaker label of {len(label):,} characters or a timestamp of "
                f"{len(timestamp or ''):,} (limits {MAX_LABEL_CHARS} and {MAX_TIMESTAMP_CHARS}, the store's "
                "columns); make the groups 'label' and 'ts' narrower",
                file=self.name,
                line=line_no,
            )
        return label, found.end(), timestamp


def parse_turns(
    text: str, overrides: RoleOverrides | None = None, *, name: str | None = None
) -> tuple[list[Turn], list[str]]:
    """Find speaker turns; return them with warnings for a reader.

    A line that starts with a speaker label (optionally after a timestamp) opens a turn; following lines
    and paragraphs without a label continue it. Text before the first turn (a header) becomes a turn of
    role ``other``. A label counts as a speaker when it is a known one or when it opens at least two
    turns, so that a single ``Note:`` inside an answer does not split it. With no turns found, the whole
    text is one turn of role ``other`` and a warning says so. SRT/WebVTT subtitles are recognised by
    their content and read cue by cue (:func:`parse_cues`). ``name`` (the file) goes into errors: more
    than :data:`MAX_TURNS` turns, or a ``--label-regex`` that is invalid or runs out of time.

    Example:
        >>> turns, _ = parse_turns("Q: Where are you from?\\nA: From Brest.")
        >>> [(t.speaker_label, t.role) for t in turns]
        [('Q', 'interviewer'), ('A', 'respondent')]
    """
    overrides = overrides or RoleOverrides()
    if looks_like_subtitles(text):
        return parse_cues(text, overrides, name=name)
    matcher = _LineMatcher(overrides, name)
    candidates: list[_Candidate] = []
    for line_no, (line_start, line) in enumerate(_lines_with_offsets(text), 1):
        found = matcher.match(line, line_no)
        if found is None:
            continue
        label, match_end, timestamp = found
        candidates.append(_Candidate(line_start, line_start + match_end, label, timestamp))
        if len(candidates) > 2 * MAX_TURNS:  # stop early: a 40 MB file of short turns would take minutes
            raise _too_many_turns(len(candidates), name, line_no)
    return _turns_from_candidates(text, candidates, overrides, name)


def _turns_from_candidates(
    text: str, candidates: list[_Candidate], overrides: RoleOverrides, name: str | None
) -> tuple[list[Turn], list[str]]:
    """Keep the candidates that are speakers, cut the text between them and infer roles."""
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
    if len(speakers) > MAX_TURNS:
        raise _too_many_turns(len(speakers), name, text.count("\n", 0, speakers[MAX_TURNS].line_start) + 1)
    warnings: list[str] = []
    if not speakers:
        start, end = _strip_span(text, 0, len(text))
        if overrides.statement:  # said so by the user: no warning, the whole text is the respondent's
            return [Turn(start=start, end=end, speaker_label="", role="respondent")], warnings
        warnings.append(
            "no speaker turns recognised: imported as one segment (a respondent's own account? import it "
            "with --statement to have codes suggested for it)"
        )
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


# --- SRT / WebVTT subtitles --------------------------------------------------------------------------

_CUE_TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{2}[,.]\d{1,3}"
_CUE_TIMING = re.compile(rf"^[ \t]*(?P<start>{_CUE_TIME})[ \t]*-->[ \t]*{_CUE_TIME}(?:[ \t].*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+(?P<label>[^>]{1,100})>[ \t]*")
_VOICE_END = re.compile(r"[ \t]*</v>$")
_VTT_NON_CUE = ("NOTE", "STYLE", "REGION")


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Groups of consecutive non-blank lines, each line with its offset and without its line end."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for offset, line in _lines_with_offsets(text):
        content = line.rstrip("\r\n")
        if content.strip():
            current.append((offset, content))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def looks_like_subtitles(text: str) -> bool:
    """True when the text is WebVTT (starts with ``WEBVTT``) or SRT (its first block is a numbered cue)."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT") and (len(head) == 6 or head[6] in " \t\r\n"):
        return True
    lines = head.splitlines()[:3]
    return len(lines) >= 2 and lines[0].strip().isdigit() and bool(_CUE_TIMING.match(lines[1]))


def _cue_content(text: str, start: int, end: int) -> tuple[int, int, str | None]:
    """Content span of a cue without a leading ``<v Name>`` (and trailing ``</v>``), and the voice's name."""
    voice = _VOICE.match(text, start, end)
    if voice is None:
        return start, end, None
    closing = _VOICE_END.search(text, voice.end(), end)
    return voice.end(), closing.start() if closing else end, " ".join(voice.group("label").split())


class _LineCounter:
    """Line number of increasing offsets, counting each stretch of text once (linear, not per call)."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def __call__(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


@dataclass
class _Cue:
    start: int  # the cue text (after any voice tag)
    after_label: int  # after a "Name:" prefix, if the cue has one
    end: int
    label: str | None
    timestamp: str | None
    voiced: bool = False


def parse_cues(
    text: str, overrides: RoleOverrides | None = None, *, name: str | None = None
) -> tuple[list[Turn], list[str]]:
    """Read SRT/WebVTT subtitles: one turn per cue, its start time as the timestamp.

    The cue number and the timing line are not part of any turn (offsets stay exact into the unchanged
    text). The speaker comes from a WebVTT voice tag (``<v Natalia>``) or a ``Name:`` prefix; a cue without
    one continues the previous speaker, as subtitles split long speech into many cues. Cues before any
    named speaker, and files with no names at all, get the role ``other`` with a warning. Blocks that are
    not cues (``NOTE``, ``STYLE``, the ``WEBVTT`` header) are skipped; other text between cues continues
    the previous speaker without a timestamp.
    """
    overrides = overrides or RoleOverrides()
    matcher = _LineMatcher(overrides, name)
    cues: list[_Cue] = []
    line_of = _LineCounter(text)
    for block in _blocks(text):
        first = block[0][1].lstrip("\ufeff")
        if first.startswith("WEBVTT") or first.split(" ", 1)[0] in _VTT_NON_CUE:
            continue
        timing_index = next((i for i, (_, line) in enumerate(block[:2]) if _CUE_TIMING.match(line)), None)
        timestamp = None
        body = block
        if timing_index is not None:
            timing = _CUE_TIMING.match(block[timing_index][1])
            timestamp = timing.group("start") if timing else None
            body = block[timing_index + 1 :]
        if not body:
            continue
        start, end = _strip_span(text, body[0][0], body[-1][0] + len(body[-1][1]))
        if end <= start:
            continue
        start, end, voice = _cue_content(text, start, end)
        cue = _Cue(start, start, end, voice, timestamp, voiced=voice is not None)
        if voice is None:
            found = matcher.match(text[start:end], line_of(start))
            if found is not None:
                cue.label = found[0]
                cue.after_label = _strip_span(text, start + found[1], end)[0]
        cues.append(cue)
        if len(cues) > MAX_TURNS:
            raise _too_many_turns(len(cues), name, line_of(start))
    return _turns_from_cues(cues, text, overrides)


def _turns_from_cues(cues: list[_Cue], text: str, overrides: RoleOverrides) -> tuple[list[Turn], list[str]]:
    """Keep labels that are speakers (as in plain text), carry each over unnamed cues, infer roles."""
    warnings: list[str] = []
    if not cues:
        start, end = _strip_span(text, 0, len(text))
        warnings.append("subtitles without any cue text: imported as one segment")
        return [Turn(start=start, end=end, speaker_label="", role="other")], warnings
    counts = Counter(_normalise_label(c.label) for c in cues if c.label and not c.voiced)
    forced = {_normalise_label(x) for x in (*overrides.interviewer_labels, *overrides.respondent_labels)}
    known = INTERVIEWER_LABELS | RESPONDENT_LABELS | forced
    speakers: list[str | None] = []
    current: str | None = None
    for cue in cues:
        if cue.label and not cue.voiced:
            key = _normalise_label(cue.label)
            if counts[key] >= 2 or key in known or overrides.label_regex:
                cue.start = cue.after_label  # "Name:" is a speaker: leave it out of the turn
            else:
                cue.label = None  # "So I said: no" is speech, not a speaker
        current = cue.label or current
        speakers.append(current)
    labels = list(dict.fromkeys(s for s in speakers if s))
    turn_texts: dict[str, list[str]] = {}
    for cue, speaker in zip(cues, speakers, strict=True):
        if speaker:
            turn_texts.setdefault(speaker, []).append(text[cue.start : cue.end])
    roles = _infer_roles(labels, turn_texts, overrides) if labels else {}
    turns = []
    for cue, speaker in zip(cues, speakers, strict=True):
        role = roles.get(speaker or "", "other")
        turns.append(Turn(cue.start, max(cue.end, cue.start), speaker or "", role, timestamp=cue.timestamp))
    if not labels:
        warnings.append(
            "subtitles name no speakers: every cue imported with role 'other'; "
            "put 'Name:' or a WebVTT voice tag '<v Name>' at the start of a cue"
        )
    elif not any(t.role == "respondent" for t in turns):
        warnings.append("no respondent turns recognised; name them with --respondent-label")
    return turns, warnings
