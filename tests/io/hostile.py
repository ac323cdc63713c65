"""Builders of hostile input files, shared by the hostile-input tests and the fuzz tests / bench script."""

from __future__ import annotations

import functools
import io
import json
import zipfile

import docx
from hypothesis import strategies as st

DOCUMENT_XML = "word/document.xml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def valid_docx(lines: tuple[str, ...] = ("Interviewer: Where?", "Respondent: In Minsk.")) -> bytes:
    """A small, valid .docx made by python-docx."""
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@functools.cache
def base_docx() -> bytes:
    """A valid .docx, built once."""
    return valid_docx()


def rewrite_docx(
    replace: dict[str, bytes] | None = None,
    *,
    add: dict[str, bytes] | None = None,
    compress_type: int = zipfile.ZIP_DEFLATED,
    encrypted_flag: str | None = None,
    source: bytes | None = None,
) -> bytes:
    """Copy a valid .docx, replacing or adding members; optionally mark one member as encrypted."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source or base_docx())) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data, compress_type=compress_type)
        for member, data in (add or {}).items():
            zout.writestr(member, data, compress_type=compress_type)
    raw = out.getvalue()
    if encrypted_flag is not None:
        raw = _set_encrypted_flag(raw, encrypted_flag)
    return raw


def _set_encrypted_flag(raw: bytes, member: str) -> bytes:
    """Set general-purpose bit 0 (encrypted) of ``member`` in its central directory entry."""
    data = bytearray(raw)
    name = member.encode()
    index = 0
    while True:
        index = data.find(b"PK\x01\x02", index)
        if index < 0:
            break
        name_len = int.from_bytes(data[index + 28 : index + 30], "little")
        if bytes(data[index + 46 : index + 46 + name_len]) == name:
            data[index + 8] |= 0x1
        index += 4
    return bytes(data)


def document_xml(body: str) -> bytes:
    """A word/document.xml with the given body content (raw XML)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W_NS}"><w:body>{body}'
        "</w:body></w:document>"
    ).encode()


def paragraph(text: str) -> str:
    """One w:p with one run of text (escaped by the caller if needed)."""
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]>\n"
    + f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>'.encode()
)


ALIAS_BOMB_TEXT = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + chr(ord(c) - 1)] * 9)}]\n" for c in "bcdefghi"
)


def srt(cues: list[tuple[str, str]]) -> str:
    """SRT text with one cue per (start time, text)."""
    blocks = []
    for index, (start, text) in enumerate(cues, 1):
        blocks.append(f"{index}\n{start} --> 99:59:59,000\n{text}\n")
    return "\n".join(blocks)


# --- hypothesis strategies of hostile inputs, one per importer (used by test_fuzz_import and bench) -------

VALID_TRANSCRIPT = (
    "SYNTHETIC interview, header line\n\nInterviewer: Where did you work?\nRespondent: In a factory. "
    "It paid little.\n\nThen I left.\n[00:03:12] Interviewer: Why?\nRespondent: Debts: my family had debts.\n"
)
VALID_SRT = srt([("00:00:01,000", "Interviewer: Where?"), ("00:00:03,500", "Natalia: Minsk."), ("00:00:05,000", "x")])
VALID_VTT = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Interviewer>Where?\n\n00:02.500 --> 00:04.000\n<v Anna>Here.\n"
VALID_CODEBOOK = """codebook: {id: fuzz_book, name: Fuzz, version: "1"}
groups:
  root_cause: {max_per_segment: 2}
codes:
  - id: root_cause.economic
    name: Economic
    definition: Money problems pushed the person to leave.
    include: [debts, "no work"]
    exclude: []
    examples: ["I had no money"]
    keywords: [money, debt]
    colour: "#1f77b4"
  - id: root_cause.family
    definition: Family reasons.
    parent: root_cause.economic
"""
VALID_ATTRIBUTES = "document,gender,age_group\nS01,female,18-29\n"
VALID_CODINGS_JSONL = (
    '{"document": "S01", "quote": "In a factory.", "codes": ["root_cause.economic"]}\n'
    '{"document": "S01", "segment": 1, "codes": "root_cause.family"}\n'
)
VALID_CODINGS_CSV = 'document,quote,codes\nS01,"It paid little.",root_cause.economic\n'

# Small caps the fuzz tests set, so that "huge" inputs stay cheap to generate.
FUZZ_CAPS = {
    "toolkit.io.transcripts.MAX_LINE_CHARS": 3_000,
    "toolkit.io.transcripts.MAX_TURNS": 300,
    "toolkit.io.docx_reader.MAX_DOCX_XML_BYTES": 300_000,
    "toolkit.io.docx_reader.MAX_DOCX_UNCOMPRESSED": 1_500_000,
    "toolkit.io.tables.MAX_FIELD_CHARS": 5_000,
    "toolkit.io.tables.MAX_JSONL_LINE_CHARS": 5_000,
    "toolkit.io.tables.MAX_TABLE_BYTES": 200_000,
    "toolkit.io.codebook_yaml.MAX_CODEBOOK_BYTES": 100_000,
}

_SPECIAL = [
    "\x00",
    "\r",
    "\n",
    "\t",
    "\ufeff",
    "\ud7ff",
    "\u2028",
    ":",
    "\\",
    '"',
    "'",
    "&",
    "*",
    "!",
    "|",
    ">",
    "{",
    "}",
    "[",
    "]",
    "-",
    "?",
    "#",
    "%",
    "@",
    "`",
    ",",
    ";",
    "<",
    "-->",
    "&#0;",
    "NaN",
    "Infinity",
    "1e999",
    "\xff",
    "é",
    "Ж",
    "😀",
]


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """A valid file with a few bytes flipped, inserted, deleted, duplicated or cut off."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat", "special"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 50))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "repeat":
            data[at:at] = bytes(data[at : at + draw(st.integers(1, 200))]) * draw(st.integers(2, 400))
        else:
            special = draw(st.sampled_from(_SPECIAL))
            data[at:at] = special.encode("utf-8", "surrogatepass")
    return bytes(data)


def _encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1251", "latin-1"])
    return st.tuples(text, encodings).map(lambda te: te[0].encode(te[1], "replace"))


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
_PIECES = st.lists(
    st.sampled_from(
        [
            *_SPECIAL,
            "Q: ",
            "A: ",
            "Interviewer: ",
            "Natalia: ",
            "1\n",
            "WEBVTT\n",
            "00:00:01,000 --> 00:00:02,000\n",
            "<v Anna>",
            "\n\n",
            "word ",
        ]
    ),
    max_size=60,
)
_TEXTISH = _encoded(st.one_of(_ANY_TEXT, _PIECES.map("".join)))


def _many_turns(n: int) -> bytes:
    return "".join(f"Q: q{i}?\nA: a{i}.\n" for i in range(n)).encode()


def _docx_kinds() -> st.SearchStrategy[bytes]:
    xml = st.sampled_from(
        [
            b"",
            b"<w:document>",
            b"<html><body/></html>",
            bytes(range(256)),
            BILLION_LAUGHS,
            document_xml(paragraph("a&#0;b")),
            document_xml(paragraph("x" * 400_000)),
            document_xml(paragraph("Q: why?") + paragraph("A: money.")),
            document_xml("".join(paragraph(f"Q: {i}?") + paragraph(f"A: {i}.") for i in range(400))),
            document_xml(
                '<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="99999999"/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>'
                + paragraph("Q: why?")
            ),
        ]
    )
    return st.one_of(
        xml.map(lambda body: rewrite_docx({DOCUMENT_XML: body})),
        st.just(rewrite_docx(compress_type=zipfile.ZIP_BZIP2)),
        st.just(rewrite_docx(compress_type=zipfile.ZIP_LZMA)),
        st.just(rewrite_docx(encrypted_flag=DOCUMENT_XML)),
        st.just(rewrite_docx(add={"word/media/huge.png": b"\x00" * 2_000_000})),
        mutated(base_docx()),
    )


def transcript_inputs() -> st.SearchStrategy[tuple[str, bytes]]:
    """(suffix, bytes) of hostile transcripts: .txt/.md/.srt/.vtt text and .docx archives."""
    text_like = st.one_of(
        st.binary(max_size=2_000),
        _TEXTISH,
        mutated(VALID_TRANSCRIPT.encode()),
        mutated(VALID_SRT.encode()),
        mutated(VALID_VTT.encode()),
        st.integers(250, 400).map(_many_turns),
        st.integers(3_001, 5_000).map(lambda n: b"A: " + b"x" * n),
    )
    return st.one_of(
        st.tuples(st.sampled_from([".txt", ".md", ".srt", ".vtt"]), text_like),
        st.tuples(st.just(".docx"), st.one_of(_docx_kinds(), st.binary(max_size=2_000))),
    )


_YAML_ODDITIES = [
    "a: &a [1,2]\nb: [*a,*a]\n",
    "1: one\n",
    "~: nothing\n",
    "? [a, b]\n: list\n",
    "deep: " + "[" * 3000 + "]" * 3000 + "\n",
    "version: 2024-13-45\n",
    "x: !!binary '@@'\n",
    "x: !!python/object:os.system ls\n",
    "x: !!set {a, b}\n",
    "x: !!omap [a: 1]\n",
    "codes: 5\n",
    "codes: [5, [6]]\n",
    "codebook: []\n",
    "groups: {root_cause: {max_per_segment: .inf}}\n",
    "groups: [1]\n",
    "\t- bad indent\n",
    "x: '\x00'\n",
    "--- \n--- \n",
]


def codebook_inputs() -> st.SearchStrategy[bytes]:
    """Hostile codebook YAML: valid ones mutated, YAML oddities spliced in, random text and bytes."""
    oddity = st.sampled_from(_YAML_ODDITIES)
    return st.one_of(
        st.binary(max_size=1_000),
        _TEXTISH,
        mutated(VALID_CODEBOOK.encode()),
        oddity.map(lambda o: (VALID_CODEBOOK + o).encode()),
        st.tuples(oddity, st.integers(0, VALID_CODEBOOK.count("\n"))).map(
            lambda oi: "\n".join([*VALID_CODEBOOK.splitlines()[: oi[1]], oi[0]]).encode()
        ),
        st.just(
            (
                "a: &a ['x','x','x','x','x','x','x','x']\n"
                + "".join(f"{c}: &{c} [{','.join(['*' + chr(ord(c) - 1)] * 9)}]\n" for c in "bcdefgh")
            ).encode()
        ),
    )


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_JSON_ODDITIES = [
    '{"document": "S01", "segment": Infinity, "codes": ["root_cause.economic"]}',
    '{"document": "S01", "segment": NaN, "codes": []}',
    '{"document": "S01", "segment": 1e999, "codes": []}',
    '{"document": "S01", "segment": -1, "codes": ["root_cause.economic"]}',
    '{"document": "S01", "segment": 99999999999999999999999, "codes": ["root_cause.economic"]}',
    '{"document": "S01", "segment": ' + "9" * 5000 + "}",
    "[" * 50_000 + "]" * 50_000,
    '{"document": "S01", "quote": "' + "x" * 6_000 + '"}',
    '{"document": ["S01"], "codes": {"a": 1}}',
    '{"document": "S01", "quote": {"x": [1, 2]}, "codes": ["root_cause.economic"]}',
    '"just a string"',
]


def codings_inputs() -> st.SearchStrategy[tuple[str, bytes]]:
    """(suffix, bytes) of hostile codings files, JSONL and CSV."""
    row = st.dictionaries(
        st.sampled_from(["document", "quote", "segment", "position", "codes", "code", "x"]), _JSON_VALUES, max_size=5
    )
    jsonl = st.one_of(
        st.lists(row, max_size=5).map(lambda rows: "".join(json.dumps(r) + "\n" for r in rows).encode()),
        st.sampled_from(_JSON_ODDITIES).map(lambda o: (VALID_CODINGS_JSONL + o + "\n").encode()),
        mutated(VALID_CODINGS_JSONL.encode()),
        _TEXTISH,
        st.binary(max_size=1_000),
    )
    csv_like = st.one_of(
        mutated(VALID_CODINGS_CSV.encode()),
        st.integers(5_001, 8_000).map(lambda n: (VALID_CODINGS_CSV + "S01," + "x" * n + ",a\n").encode()),
        _TEXTISH,
    )
    return st.one_of(st.tuples(st.just(".jsonl"), jsonl), st.tuples(st.just(".csv"), csv_like))


def attributes_inputs() -> st.SearchStrategy[bytes]:
    """Hostile attribute CSVs: valid ones mutated, long fields, unbalanced quotes, random text and bytes."""
    return st.one_of(
        mutated(VALID_ATTRIBUTES.encode()),
        st.integers(5_001, 8_000).map(lambda n: (VALID_ATTRIBUTES + "S02," + "x" * n + ",a\n").encode()),
        st.just(b'document,gender\nS01,"unclosed\n'),
        st.just(b"document,document\nS01,S01\n"),
        _TEXTISH,
        st.binary(max_size=1_000),
    )
