"""REFI-QDA exchange files: the project archive (``.qdpx``) and the codebook (``.qdc``), read and written.

Pure file handling, no store: :func:`read_qdpx` turns archive bytes into a :class:`RefiProject`,
:func:`write_qdpx` the reverse; :func:`read_qdc` / :func:`write_qdc` do the same for a codebook. The XML
follows QDA-XML 1.0 (``Project-mrt2019.xsd``, ``Codebook-mrt2019.xsd``).

What other tools write differently, and is read here anyway:

* ``project.qde`` or ``Project.qde``, ``sources/`` or ``Sources/``: archive names match case-insensitively;
* GUIDs with or without braces, upper or lower case: compared in one normal form (:func:`norm_guid`);
* a text whose lines end in CRLF with positions counted as if each line end were one character: detected
  from the selections' names (the quoted text ATLAS.ti writes) and converted to positions in the text as is;
* ``isCodable="false"`` code folders are kept, flagged ``codable=False``.

Files from elsewhere are not trusted: XML is parsed with ``defusedxml`` (no DTD, so no entity expansion
and no external entity), a member named with ``..`` or an absolute path is refused, and decompression
stops at :data:`MAX_QDPX_UNCOMPRESSED`. Every refusal is an :class:`~toolkit.errors.InputFileError`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from lxml import etree

from toolkit.errors import InputFileError

__all__ = [
    "MAX_QDPX_UNCOMPRESSED",
    "PROJECT_NS",
    "SIDECAR_NAME",
    "RefiCase",
    "RefiCode",
    "RefiCoding",
    "RefiNote",
    "RefiProject",
    "RefiSelection",
    "RefiSource",
    "RefiUser",
    "norm_guid",
    "read_qdc",
    "read_qdpx",
    "write_qdc",
    "write_qdpx",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PROJECT_XSD = "http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd"
_CODEBOOK_XSD = "http://schema.qdasoftware.org/versions/Codebook/v1.0/Codebook.xsd"
SIDECAR_NAME = "survivor-qda.json"
"""What REFI cannot hold (definitions beyond Description, speaker turns, suggestion probabilities)."""

MAX_QDPX_UNCOMPRESSED = 512 * 1024 * 1024
"""All members together, decompressed: 26 interviews are ~1 MB; a zip bomb is refused before it fills memory."""
MAX_MEMBERS = 100_000
_CHUNK = 1024 * 1024
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def norm_guid(value: str | None) -> str:
    """One form for ``{ABC...}``, ``abc...`` and ``ABC...``: bare and upper case."""
    text = (value or "").strip()
    match = _GUID.match(text)
    return match.group(1).upper() if match else text.upper()


@dataclass
class RefiUser:
    """A person (or a program) who codes."""

    guid: str
    name: str


@dataclass
class RefiCode:
    """A code; ``parent`` is the GUID of the code it is nested in; folders have ``codable=False``."""

    guid: str
    name: str
    codable: bool = True
    color: str | None = None
    description: str = ""
    parent: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiCoding:
    """One code applied to a selection by one user."""

    guid: str
    code: str
    user: str | None = None
    created: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiSelection:
    """A plain-text selection: character positions counted from 0, end excluded."""

    guid: str
    start: int
    end: int
    name: str = ""
    user: str | None = None
    created: str | None = None
    description: str = ""
    codings: list[RefiCoding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiSource:
    """A text source; ``text`` is None when the archive does not carry it."""

    guid: str
    name: str
    text: str | None = None
    selections: list[RefiSelection] = field(default_factory=list)
    codings: list[RefiCoding] = field(default_factory=list)  # on the whole source
    notes: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # variable name -> value
    description: str = ""


@dataclass
class RefiCase:
    """A case: variable values (by variable name) and the sources it groups."""

    guid: str
    name: str
    values: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


@dataclass
class RefiNote:
    """A note (memo): its text and author."""

    guid: str
    name: str
    text: str
    user: str | None = None
    created: str | None = None


@dataclass
class RefiProject:
    """A whole project as read from or written to a ``.qdpx`` archive."""

    name: str
    origin: str = ""
    creating_user: str | None = None
    users: list[RefiUser] = field(default_factory=list)
    codes: list[RefiCode] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # name -> typeOfVariable
    cases: list[RefiCase] = field(default_factory=list)
    sources: list[RefiSource] = field(default_factory=list)
    notes: list[RefiNote] = field(default_factory=list)
    sets: dict[str, list[str]] = field(default_factory=dict)  # set name -> member source GUIDs
    sidecar: dict[str, Any] | None = None
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- reading


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text_of(element: Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "") if child is not None else ""


def _refs(element: Element, name: str) -> list[str]:
    return [norm_guid(ref.get("targetGUID")) for ref in _children(element, name)]


def _parse_xml(data: bytes, display: str) -> Element:
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputFileError(
            f"refused: the XML declares a DTD or entities ({type(exc).__name__}); REFI-QDA files never need one",
            file=display,
        ) from None
    except Exception as exc:  # ParseError and friends
        raise InputFileError(f"not well-formed XML: {exc}", file=display) from None


def _int(value: str | None, what: str, display: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise InputFileError(f"{what} is not a whole number: {value!r}", file=display) from None


MAX_CODE_DEPTH = 50
"""Codes nested deeper than this are refused: real code trees are a few levels; a hostile one could be 100,000."""


def _codes(element: Element, parent: str | None, out: list[RefiCode], depth: int = 1) -> None:
    if depth > MAX_CODE_DEPTH:
        raise InputFileError(f"refused: codes nested more than {MAX_CODE_DEPTH} levels deep")
    for node in _children(element, "Code"):
        code = RefiCode(
            guid=norm_guid(node.get("guid")),
            name=node.get("name") or "",
            codable=(node.get("isCodable") or "true").strip().lower() in ("true", "1"),
            color=node.get("color"),
            description=_text_of(node, "Description"),
            parent=parent,
            notes=_refs(node, "NoteRef"),
        )
        out.append(code)
        _codes(node, code.guid, out, depth + 1)


def _codings(element: Element) -> list[RefiCoding]:
    out = []
    for node in _children(element, "Coding"):
        ref = _child(node, "CodeRef")
        out.append(
            RefiCoding(
                guid=norm_guid(node.get("guid")),
                code=norm_guid(ref.get("targetGUID")) if ref is not None else "",
                user=norm_guid(node.get("creatingUser")) if node.get("creatingUser") else None,
                created=node.get("creationDateTime"),
                notes=_refs(node, "NoteRef"),
            )
        )
    return out


def _value(node: Element) -> tuple[str, str] | None:
    ref = _child(node, "VariableRef")
    if ref is None:
        return None
    for child in node:
        if _local(child.tag).endswith("Value") and _local(child.tag) != "VariableValue":
            return norm_guid(ref.get("targetGUID")), (child.text or "").strip()
    return norm_guid(ref.get("targetGUID")), ""


class _Archive:
    """A zip read defensively: names checked, members matched case-insensitively, sizes counted."""

    def __init__(self, data: bytes, display: str) -> None:
        self.display = display
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputFileError(f"not a .qdpx (zip) archive: {exc}", file=display) from None
        if len(infos) > MAX_MEMBERS:
            raise InputFileError(f"refused: {len(infos):,} members (limit {MAX_MEMBERS:,})", file=display)
        declared = 0
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise InputFileError(
                    f"refused: member {info.filename!r} points outside the archive (absolute path or '..')",
                    file=display,
                )
            if info.flag_bits & 0x1:
                raise InputFileError(f"refused: member {info.filename!r} is encrypted", file=display)
            declared += info.file_size
            if declared > MAX_QDPX_UNCOMPRESSED:
                raise InputFileError(
                    f"refused: members decompress to more than {MAX_QDPX_UNCOMPRESSED:,} bytes (limit)", file=display
                )
            self.members[name.lower()] = info
        self.budget = MAX_QDPX_UNCOMPRESSED

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(name.replace("\\", "/").lower())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """Read through with a running count: a header that lies about its size cannot make us inflate more."""
        chunks = []
        try:
            with self.zip.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    self.budget -= len(chunk)
                    if self.budget < 0:
                        raise InputFileError(
                            f"refused: members decompress to more than {MAX_QDPX_UNCOMPRESSED:,} bytes (limit)",
                            file=self.display,
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError) as exc:
            raise InputFileError(f"member {info.filename!r} cannot be read: {exc}", file=self.display) from None
        return b"".join(chunks)


def _decode(data: bytes, what: str, display: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{what} is not UTF-8 text", file=display) from None


def _squash(text: str) -> str:
    return " ".join(text.replace("…", " ").split())


def _crlf_map(text: str) -> list[int]:
    """Raw index of each character of the text with every CRLF counted as one character (plus the end)."""
    raw = []
    i = 0
    while i < len(text):
        raw.append(i)
        i += 2 if text.startswith("\r\n", i) else 1
    raw.append(len(text))
    return raw


def _matches(text: str, start: int, end: int, name: str) -> bool:
    quoted = _squash(name)
    return bool(quoted) and 0 <= start <= end <= len(text) and _squash(text[start:end]).startswith(quoted[:40])


def fix_crlf_positions(source: RefiSource, origin: str) -> str | None:
    """Convert positions counted with CRLF as one character, when the selections' names say so.

    Returns a warning when positions were converted. Without names to judge by, positions are taken as
    the standard says: Unicode characters of the text as it is.
    """
    text = source.text or ""
    if "\r\n" not in text or not source.selections:
        return None
    mapping = _crlf_map(text)
    raw_hits = sum(_matches(text, s.start, s.end, s.name) for s in source.selections)

    def mapped(s: RefiSelection) -> tuple[int, int] | None:
        if 0 <= s.start <= s.end < len(mapping):
            return mapping[s.start], mapping[s.end]
        return None

    lf_hits = sum(bool((m := mapped(s)) and _matches(text, m[0], m[1], s.name)) for s in source.selections)
    if lf_hits <= raw_hits:
        return None
    for selection in source.selections:
        m = mapped(selection)
        if m:
            selection.start, selection.end = m
    return (
        f"source {source.name!r}: positions counted each CRLF line end as one character "
        f"({origin or 'the exporting tool'} does); converted to positions in the text as stored"
    )


def _source(node: Element, archive: _Archive, skipped: list[str]) -> RefiSource:
    source = RefiSource(
        guid=norm_guid(node.get("guid")),
        name=node.get("name") or norm_guid(node.get("guid")),
        description=_text_of(node, "Description"),
        notes=_refs(node, "NoteRef"),
        codings=_codings(node),
    )
    content = _child(node, "PlainTextContent")
    path = node.get("plainTextPath") or ""
    if content is not None:
        source.text = content.text or ""
    elif path.lower().startswith("internal://"):
        member = path[len("internal://") :]
        info = archive.find(f"sources/{member}")
        if info is None:
            skipped.append(f"text source {source.name!r}: its text ({path}) is not in the archive's sources/ folder")
        else:
            source.text = _decode(archive.read(info), f"sources/{member}", archive.display)
    elif path:
        skipped.append(f"text source {source.name!r}: its text is outside the archive ({path})")
    for sel in _children(node, "PlainTextSelection"):
        source.selections.append(
            RefiSelection(
                guid=norm_guid(sel.get("guid")),
                start=_int(sel.get("startPosition"), "startPosition", archive.display),
                end=_int(sel.get("endPosition"), "endPosition", archive.display),
                name=sel.get("name") or "",
                user=norm_guid(sel.get("creatingUser")) if sel.get("creatingUser") else None,
                created=sel.get("creationDateTime"),
                description=_text_of(sel, "Description"),
                codings=_codings(sel),
                notes=_refs(sel, "NoteRef"),
            )
        )
    for value in _children(node, "VariableValue"):
        parsed = _value(value)
        if parsed:
            source.variables[parsed[0]] = parsed[1]
    return source


_OTHER_SOURCES = {
    "PictureSource": ("picture", "PictureSelection"),
    "PDFSource": ("PDF", "PDFSelection"),
    "AudioSource": ("audio", "AudioSelection"),
    "VideoSource": ("video", "VideoSelection"),
}


def _skip_other_source(node: Element, kind: str, skipped: list[str]) -> None:
    kind_name, selection_tag = _OTHER_SOURCES[kind]
    selections = list(node.iter())
    count = sum(1 for e in selections if _local(e.tag) == selection_tag)
    transcripts = sum(1 for e in selections if _local(e.tag) in ("Transcript", "Representation"))
    extra = f", {transcripts} transcript/representation(s)" if transcripts else ""
    skipped.append(
        f"{kind_name} source {node.get('name') or node.get('guid')!r} with {count} {selection_tag}(s){extra}: "
        "only text sources are imported"
    )


def _project_member(archive: _Archive) -> zipfile.ZipInfo:
    info = archive.find("project.qde")
    if info is None:
        candidates = [i for n, i in archive.members.items() if n.endswith(".qde") and "/" not in n]
        if len(candidates) != 1:
            raise InputFileError("no project.qde in the archive: not a REFI-QDA project", file=archive.display)
        info = candidates[0]
    return info


def read_qdpx(data: bytes, display: str = "<qdpx>") -> RefiProject:
    """Parse a ``.qdpx`` archive; what cannot be imported is listed in ``skipped``, nothing is silently lost."""
    archive = _Archive(data, display)
    info = _project_member(archive)
    root = _parse_xml(archive.read(info), f"{display}:{info.filename}")
    if _local(root.tag) != "Project":
        raise InputFileError(f"the root element is <{_local(root.tag)}>, not <Project>", file=display)
    project = RefiProject(
        name=root.get("name") or "",
        origin=root.get("origin") or "",
        creating_user=norm_guid(root.get("creatingUserGUID")) if root.get("creatingUserGUID") else None,
    )
    skipped = project.skipped
    users = _child(root, "Users")
    if users is not None:
        project.users = [
            RefiUser(norm_guid(u.get("guid")), u.get("name") or norm_guid(u.get("guid")))
            for u in _children(users, "User")
        ]
    book = _child(root, "CodeBook")
    codes_node = _child(book, "Codes") if book is not None else None
    if codes_node is not None:
        _codes(codes_node, None, project.codes)
    variable_names: dict[str, str] = {}
    variables = _child(root, "Variables")
    if variables is not None:
        for var in _children(variables, "Variable"):
            variable_names[norm_guid(var.get("guid"))] = var.get("name") or ""
            project.variables[var.get("name") or ""] = var.get("typeOfVariable") or "Text"
    sources = _child(root, "Sources")
    if sources is not None:
        for node in sources:
            kind = _local(node.tag)
            if kind == "TextSource":
                source = _source(node, archive, skipped)
                source.variables = {variable_names.get(k, k): v for k, v in source.variables.items()}
                project.sources.append(source)
            elif kind in _OTHER_SOURCES:
                _skip_other_source(node, kind, skipped)
    cases = _child(root, "Cases")
    if cases is not None:
        for node in _children(cases, "Case"):
            case = RefiCase(guid=norm_guid(node.get("guid")), name=node.get("name") or "")
            for value in _children(node, "VariableValue"):
                parsed = _value(value)
                if parsed:
                    case.values[variable_names.get(parsed[0], parsed[0])] = parsed[1]
            case.sources = _refs(node, "SourceRef")
            if _children(node, "SelectionRef") or _children(node, "CodeRef"):
                skipped.append(f"case {case.name!r}: its selection and code references (cases are documents here)")
            project.cases.append(case)
    notes = _child(root, "Notes")
    if notes is not None:
        for node in _children(notes, "Note"):
            content = _child(node, "PlainTextContent")
            project.notes.append(
                RefiNote(
                    guid=norm_guid(node.get("guid")),
                    name=node.get("name") or "",
                    text=((content.text or "") if content is not None else "") or _text_of(node, "Description"),
                    user=norm_guid(node.get("creatingUser")) if node.get("creatingUser") else None,
                    created=node.get("creationDateTime"),
                )
            )
    sets = _child(root, "Sets")
    if sets is not None:
        for node in _children(sets, "Set"):
            project.sets[node.get("name") or ""] = _refs(node, "MemberSource")
            if _children(node, "MemberCode") or _children(node, "MemberNote"):
                skipped.append(f"set {node.get('name')!r}: its code and note members (code sets are not kept)")
    for tag, what in (("Links", "Link"), ("Graphs", "Graph")):
        container = _child(root, tag)
        if container is not None:
            skipped.append(f"{len(_children(container, what))} {what.lower()}(s): not part of this toolkit's data")
    for source in project.sources:
        warning = fix_crlf_positions(source, project.origin)
        if warning:
            project.warnings.append(warning)
    sidecar = archive.find(SIDECAR_NAME)
    if sidecar is not None:
        try:
            project.sidecar = json.loads(_decode(archive.read(sidecar), SIDECAR_NAME, display))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{SIDECAR_NAME} is not JSON: {exc}", file=display) from None
        if not isinstance(project.sidecar, dict):
            raise InputFileError(f"{SIDECAR_NAME} is not a JSON object", file=display)
    return project


def read_qdc(data: bytes, display: str = "<qdc>") -> list[RefiCode]:
    """Parse a ``.qdc`` codebook (or the CodeBook of a project) into codes in document order."""
    if len(data) > MAX_QDPX_UNCOMPRESSED:
        raise InputFileError("refused: codebook file over the size limit", file=display)
    root = _parse_xml(data, display)
    if _local(root.tag) != "CodeBook":
        raise InputFileError(f"the root element is <{_local(root.tag)}>, not <CodeBook>", file=display)
    codes_node = _child(root, "Codes")
    if codes_node is None:
        raise InputFileError("the codebook has no <Codes>", file=display)
    codes: list[RefiCode] = []
    _codes(codes_node, None, codes)
    return codes


# ---------------------------------------------------------------------------------------------- writing


def _el(parent: etree._Element, tag: str, ns: str, **attributes: Any) -> etree._Element:
    clean = {k: str(v) for k, v in attributes.items() if v is not None and v != ""}
    return etree.SubElement(parent, f"{{{ns}}}{tag}", clean)


def _text_el(parent: etree._Element, tag: str, ns: str, text: str) -> None:
    if text:
        _el(parent, tag, ns).text = _xml_safe(text)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry C0 controls other than tab and line ends; they are replaced, visibly."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _code_tree(parent: etree._Element, codes: list[RefiCode], ns: str, with_notes: bool) -> None:
    children: dict[str | None, list[RefiCode]] = {}
    for code in codes:
        children.setdefault(code.parent, []).append(code)

    def add(into: etree._Element, code: RefiCode) -> None:
        node = _el(
            into,
            "Code",
            ns,
            guid=code.guid,
            name=_xml_safe(code.name),
            isCodable="true" if code.codable else "false",
            color=code.color,
        )
        _text_el(node, "Description", ns, code.description)
        if with_notes:
            for note in code.notes:
                _el(node, "NoteRef", ns, targetGUID=note)
        for child in children.get(code.guid, []):
            add(node, child)

    for code in children.get(None, []):
        add(parent, code)


def _coding_el(parent: etree._Element, coding: RefiCoding) -> None:
    node = _el(
        parent, "Coding", PROJECT_NS, guid=coding.guid, creatingUser=coding.user, creationDateTime=coding.created
    )
    _el(node, "CodeRef", PROJECT_NS, targetGUID=coding.code)
    for note in coding.notes:
        _el(node, "NoteRef", PROJECT_NS, targetGUID=note)


def _tostring(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def project_xml(project: RefiProject, created: str) -> bytes:
    """The ``project.qde`` document of a project (sources referenced as ``internal://<guid>.txt``)."""
    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{ns} {_PROJECT_XSD}")
    root.set("name", _xml_safe(project.name))
    root.set("origin", project.origin or "survivor-qda")
    if project.creating_user:
        root.set("creatingUserGUID", project.creating_user)
    root.set("creationDateTime", created)
    if project.users:
        users = _el(root, "Users", ns)
        for user in project.users:
            _el(users, "User", ns, guid=user.guid, name=_xml_safe(user.name))
    if project.codes:
        _code_tree(_el(_el(root, "CodeBook", ns), "Codes", ns), project.codes, ns, with_notes=True)
    variable_guids = {name: _variable_guid(name) for name in project.variables}
    if project.variables:
        variables = _el(root, "Variables", ns)
        for name, kind in project.variables.items():
            _el(variables, "Variable", ns, guid=variable_guids[name], name=_xml_safe(name), typeOfVariable=kind)
    if project.cases:
        cases = _el(root, "Cases", ns)
        for case in project.cases:
            node = _el(cases, "Case", ns, guid=case.guid, name=_xml_safe(case.name))
            for name, value in case.values.items():
                value_node = _el(node, "VariableValue", ns)
                _el(value_node, "VariableRef", ns, targetGUID=variable_guids[name])
                _el(value_node, "TextValue", ns).text = _xml_safe(value)
            for source_guid in case.sources:
                _el(node, "SourceRef", ns, targetGUID=source_guid)
    if project.sources:
        sources = _el(root, "Sources", ns)
        for source in project.sources:
            node = _el(
                sources, "TextSource", ns, guid=source.guid, name=_xml_safe(source.name),
                plainTextPath=f"internal://{source.guid}.txt",
            )  # fmt: skip
            _text_el(node, "Description", ns, source.description)
            for sel in source.selections:
                sel_node = _el(
                    node, "PlainTextSelection", ns, guid=sel.guid, name=_xml_safe(sel.name),
                    startPosition=sel.start, endPosition=sel.end, creatingUser=sel.user, creationDateTime=sel.created,
                )  # fmt: skip
                _text_el(sel_node, "Description", ns, sel.description)
                for coding in sel.codings:
                    _coding_el(sel_node, coding)
                for note in sel.notes:
                    _el(sel_node, "NoteRef", ns, targetGUID=note)
            for coding in source.codings:
                _coding_el(node, coding)
            for note in source.notes:
                _el(node, "NoteRef", ns, targetGUID=note)
    if project.notes:
        notes = _el(root, "Notes", ns)
        for project_note in project.notes:
            note_node = _el(
                notes, "Note", ns, guid=project_note.guid, name=_xml_safe(project_note.name),
                creatingUser=project_note.user, creationDateTime=project_note.created,
            )  # fmt: skip
            _el(note_node, "PlainTextContent", ns).text = _xml_safe(project_note.text)
    if project.sets:
        sets = _el(root, "Sets", ns)
        for name, members in project.sets.items():
            node = _el(sets, "Set", ns, guid=_variable_guid(f"set:{name}"), name=_xml_safe(name))
            for member in members:
                _el(node, "MemberSource", ns, targetGUID=member)
    return _tostring(root)


def _variable_guid(name: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"survivor-qda:variable:{name}")).upper()


def write_qdpx(project: RefiProject, created: str) -> bytes:
    """The ``.qdpx`` archive: ``project.qde``, ``sources/<guid>.txt`` (UTF-8) and the sidecar JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", project_xml(project, created))
        for source in project.sources:
            archive.writestr(f"sources/{source.guid}.txt", (source.text or "").encode("utf-8"))
        if project.sidecar is not None:
            archive.writestr(SIDECAR_NAME, json.dumps(project.sidecar, ensure_ascii=False, indent=1, sort_keys=True))
    return buffer.getvalue()


def write_qdc(codes: list[RefiCode], origin: str = "survivor-qda") -> bytes:
    """A ``.qdc`` codebook: the code tree with colours and descriptions."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{CODEBOOK_NS} {_CODEBOOK_XSD}")
    root.set("origin", origin)
    _code_tree(_el(root, "Codes", CODEBOOK_NS), codes, CODEBOOK_NS, with_notes=False)
    return _tostring(root)
