"""Read the text of a .docx without trusting it: check the zip and its XML before python-docx sees them.

A .docx is a zip of XML parts. A damaged or hostile one must end in an :class:`InputFileError` naming the
file, never in a traceback, an exhausted memory or an endless parse. Before python-docx opens it:

* the archive must be a readable zip whose members are neither encrypted nor compressed with a method
  other than stored/deflated;
* the members' declared sizes are capped (:data:`MAX_DOCX_UNCOMPRESSED` in all, :data:`MAX_DOCX_XML_BYTES`
  per XML part), and every member is read through with a running count, so a header that lies about its
  size cannot make us decompress more (zipfile also stops at the declared size and checks the CRC);
* every XML part is parsed with a parser that loads no DTD, resolves no entity and allows no network or
  huge tree, and a part that declares a DTD (the "billion laughs" entity bomb) is refused: Word never
  writes one.

Then python-docx reads it, and the main part must be a ``w:document`` with a body.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from toolkit.errors import InputFileError

__all__ = ["MAX_DOCX_UNCOMPRESSED", "MAX_DOCX_XML_BYTES", "check_docx_archive", "docx_text"]

# All members together, decompressed. A transcript .docx with a few photos is a few MB; 200 MB leaves room
# for embedded media while a zip bomb (1 GiB of zeros in 1 MB) or a 2 GiB image is refused before reading.
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
# One XML part. word/document.xml of a three-hour interview is about 1 MB; parsing 32 MB takes ~0.5 GB.
MAX_DOCX_XML_BYTES = 32 * 1024 * 1024
_SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_CHUNK = 1024 * 1024
_RESAVE = "open it in Word (or LibreOffice) and save it again as .docx"


def _is_xml_part(member: str) -> bool:
    return member.lower().endswith((".xml", ".rels"))


def _check_members(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """Refuse encrypted members, unknown compression and declared sizes over the caps, before reading."""
    infos = archive.infolist()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputFileError(
                f"member {info.filename!r} is encrypted; remove the password in Word and save it again", file=name
            )
        if info.compress_type not in _SUPPORTED_COMPRESSION:
            raise InputFileError(
                f"member {info.filename!r} uses compression method {info.compress_type}, which Word does not "
                f"write; {_RESAVE}",
                file=name,
            )
        if _is_xml_part(info.filename) and info.file_size > MAX_DOCX_XML_BYTES:
            raise InputFileError(
                f"member {info.filename!r} unpacks to {info.file_size:,} bytes (limit {MAX_DOCX_XML_BYTES:,} per "
                "XML part); split the transcript into several files",
                file=name,
            )
        total += info.file_size
        if total > MAX_DOCX_UNCOMPRESSED:
            raise InputFileError(
                f"unpacks to more than {MAX_DOCX_UNCOMPRESSED:,} bytes (limit); remove large images or embedded "
                "files, or save the text as .txt",
                file=name,
            )
    return infos


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, name: str) -> bytes | None:
    """Read one member to its end (checks the CRC); keep the bytes of XML parts only.

    Counts what is actually decompressed, so a member that produces more than the ``budget`` left is
    refused even if its header understated its size.
    """
    keep = _is_xml_part(info.filename)
    chunks: list[bytes] = []
    seen = 0
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            seen += len(chunk)
            if seen > budget or (keep and seen > MAX_DOCX_XML_BYTES):
                raise InputFileError(
                    f"member {info.filename!r} unpacks to more than its declared size allows (limit "
                    f"{min(budget, MAX_DOCX_XML_BYTES if keep else budget):,} bytes); {_RESAVE}",
                    file=name,
                )
            if keep:
                chunks.append(chunk)
    return b"".join(chunks) if keep else None


def _safe_parser() -> etree.XMLParser:
    """An lxml parser that loads no DTD, resolves no entity, never reaches the network, keeps size limits."""
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False
    )


def _check_xml(content: bytes, member: str, name: str) -> None:
    """Refuse XML parts with a DTD (entity bombs) or that are not well-formed, naming the part and line."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise InputFileError(
            f"member {member!r} declares a DTD or entities, which Word never writes (a possible entity bomb); "
            f"{_RESAVE}",
            file=name,
        )
    try:
        tree = etree.fromstring(content, _safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        where = f" (line {line} of the part)" if line else ""
        raise InputFileError(f"member {member!r} is not valid XML{where}: {exc.msg}; {_RESAVE}", file=name) from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InputFileError(f"member {member!r} declares a DTD, which Word never writes; {_RESAVE}", file=name)


def check_docx_archive(data: bytes, name: str) -> None:
    """Validate the zip container and every XML part of a .docx; raise :class:`InputFileError` on any problem."""
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise InputFileError(
            "not a .docx file (not a zip archive); a password-protected Word file must be saved without "
            "its password first",
            file=name,
        )
    try:
        with zipfile.ZipFile(buffer) as archive:
            infos = _check_members(archive, name)
            budget = MAX_DOCX_UNCOMPRESSED
            for info in infos:
                content = _read_member(archive, info, budget, name)
                budget -= info.file_size
                if content is not None:
                    _check_xml(content, info.filename, name)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputFileError(f"damaged .docx file ({exc}); {_RESAVE}", file=name) from exc
    except (NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        # zipfile's signals for an unsupported feature, a password, or an inconsistent header
        raise InputFileError(f"unreadable .docx file ({exc}); {_RESAVE}", file=name) from exc


def docx_text(data: bytes, name: str) -> str:
    """Paragraphs and table rows of a checked .docx, in document order, joined by newlines."""
    check_docx_archive(data, name)
    import docx  # python-docx, imported lazily: only .docx needs it
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.document import CT_Document
    from docx.table import Table, _Cell

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError, etree.XMLSyntaxError) as exc:
        raise InputFileError(f"not a readable .docx file ({exc}); {_RESAVE}", file=name) from exc
    element = document.element
    if not isinstance(element, CT_Document) or element.body is None:
        raise InputFileError(f"the main part is not a Word document body (<w:document><w:body>); {_RESAVE}", file=name)
    lines: list[str] = []
    # In document order: a table between two turns stays between them (reading paragraphs, then tables,
    # moved every table to the end and reordered the turns).
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                # the row's own cells, not python-docx's row.cells, which expands w:gridSpan: a span of
                # 99,999,999 never ends and a span of "abc" raises ValueError
                lines.append(" ".join(_Cell(tc, block).text for tc in row._tr.tc_lst))
        else:
            lines.append(block.text)
    return "\n".join(lines)
