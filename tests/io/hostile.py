"""Builders of hostile input files, shared by the hostile-input tests and the fuzz tests / bench script."""

from __future__ import annotations

import functools
import io
import zipfile

import docx

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


def srt(cues: list[tuple[str, str]]) -> str:
    """SRT text with one cue per (start time, text)."""
    blocks = []
    for index, (start, text) in enumerate(cues, 1):
        blocks.append(f"{index}\n{start} --> 99:59:59,000\n{text}\n")
    return "\n".join(blocks)
