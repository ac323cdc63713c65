"""Codebook YAML files, validated with messages that name the file, the line and the field.

Format (one codebook per file)::

    codebook: {id: tip_root_causes, name: "...", version: "1.0"}
    codes:
      - id: root_cause.education        # fixed id; the prefix before the first dot is the group
        name: Education and career change
        definition: ...
        include: [...]                   # inclusion criteria
        exclude: [...]                   # exclusion criteria
        examples: [...]                  # 3-6 example phrasings
        keywords: [...]
        colour: "#1f77b4"
        parent: root_cause.economic      # optional, another code's id
        excludes: [contract.received]    # optional: codes that may not share a turn with this one

Use :func:`parse_codebook` on a path, text or an upload; it returns a :class:`CodebookSpec`.

A codebook needs none of YAML's riskier features, so they are refused with the line: anchors and aliases
(an alias bomb expands a few lines into gigabytes), keys that are not texts, nesting deeper than
:data:`MAX_DEPTH`, and files over :data:`MAX_CODEBOOK_BYTES`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from toolkit.errors import CodebookError

__all__ = ["MAX_CODEBOOK_BYTES", "MAX_DEPTH", "CodeSpec", "CodebookSpec", "parse_codebook"]

MAX_CODEBOOK_BYTES = 5 * 1024 * 1024  # the 16-code root-cause codebook is 20 KB
MAX_DEPTH = 20  # mappings and lists inside each other; a codebook needs 4

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CODE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_LIST_FIELDS = ("include", "exclude", "examples", "keywords")
_KNOWN_FIELDS = {"id", "name", "definition", "colour", "color", "parent", "group", "excludes", *_LIST_FIELDS}


@dataclass(frozen=True)
class CodeSpec:
    """One code as written in the file."""

    id: str
    name: str
    definition: str
    group: str
    colour: str = "#888888"
    parent: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class CodebookSpec:
    """A validated codebook file."""

    id: str
    name: str
    version: str
    codes: tuple[CodeSpec, ...]
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    source: str = ""
    sha256: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, refuses aliases and limits nesting."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Refuse an alias before it is resolved, and nesting past :data:`MAX_DEPTH` before recursing."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise CodebookError(
                f"YAML alias '*{event.anchor}' is not allowed in a codebook (aliases can expand without bound); "
                "write the value out",
                line=event.start_mark.line + 1,
            )
        if getattr(event, "anchor", None):
            raise CodebookError(
                f"YAML anchor '&{event.anchor}' is not allowed in a codebook; write the value out where it is used",
                line=event.start_mark.line + 1,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = event.start_mark.line + 1
                raise CodebookError(f"nested more than {MAX_DEPTH} levels deep (limit); a codebook needs 4", line=line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
            raise CodebookError(
                f"key {shown!r} is not a text; field names are words (quote it: '\"{shown}\"' if it is meant)",
                line=key_node.start_mark.line + 1,
            )
        if key in mapping:
            raise CodebookError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = value_node.start_mark.line + 1
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _text_list(value: Any, where: str, file: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise CodebookError(f"[{where}] must be a list of texts", file=file, line=line)
    return tuple(str(v).strip() for v in value if str(v).strip())


def _parse_groups(node: Any, file: str, line: int) -> dict[str, dict[str, int]]:
    """Optional ``groups: {recruitment: {max_per_segment: 1}}``: how many codes of a group one turn carries."""
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise CodebookError("[groups] must be a mapping of group -> settings", file=file, line=line)
    out: dict[str, dict[str, int]] = {}
    for group, settings in node.items():
        if group.startswith("__"):
            continue
        where = node["__lines__"].get(group, line)
        if not isinstance(settings, dict) or not isinstance(settings.get("max_per_segment"), int):
            raise CodebookError(f"[groups -> {group!r}] needs an integer max_per_segment", file=file, line=where)
        if settings["max_per_segment"] < 1:
            raise CodebookError(f"[groups -> {group!r} -> max_per_segment] must be at least 1", file=file, line=where)
        out[str(group)] = {"max_per_segment": settings["max_per_segment"]}
    return out


def parse_codebook(
    source: str | Path | bytes | BinaryIO, name: str | None = None, known_ids: frozenset[str] = frozenset()
) -> CodebookSpec:
    """Parse and validate a codebook; raise :class:`CodebookError` at the first problem, with its line.

    ``known_ids`` are codes already in the store, which a parent may name.

    Example:
        >>> spec = parse_codebook("codebook/tip_root_causes.yaml")  # doctest: +SKIP
        >>> spec.codes[0].id
        'root_cause.education'
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        if not path.is_file():
            raise CodebookError("no such file", file=str(path))
        file = str(path)
        if path.stat().st_size > MAX_CODEBOOK_BYTES:
            raise CodebookError(f"file is {path.stat().st_size:,} bytes (limit {MAX_CODEBOOK_BYTES:,})", file=file)
        data = path.read_bytes()
    elif isinstance(source, str):
        data, file = source.encode(), name or "<text>"
    else:
        data = source if isinstance(source, bytes) else source.read()
        file = name or getattr(source, "name", "<upload>")
    if len(data) > MAX_CODEBOOK_BYTES:
        raise CodebookError(f"file is {len(data):,} bytes (limit {MAX_CODEBOOK_BYTES:,})", file=file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError("not UTF-8 text", file=file, line=data.count(b"\n", 0, exc.start) + 1) from exc
    try:
        doc = yaml.load(text, Loader=_LineLoader)
    except CodebookError as exc:
        raise CodebookError(exc.message, file=file, line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        if isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # PyYAML's messages span lines
        raise CodebookError(f"not valid YAML: {problem}", file=file, line=line) from exc
    except (ValueError, OverflowError) as exc:  # a value YAML accepts but Python cannot hold, e.g. 2024-13-45
        raise CodebookError(f"not a valid value: {exc}", file=file) from None
    if not isinstance(doc, dict):
        raise CodebookError("expected a mapping with 'codebook' and 'codes'", file=file, line=1)
    header = doc.get("codebook")
    if not isinstance(header, dict):
        raise CodebookError("[codebook] missing: give id, name and version", file=file, line=1)
    for key in ("id", "name"):
        if not str(header.get(key) or "").strip():
            raise CodebookError(f"[codebook -> {key}] field required", file=file, line=header["__line__"])
    codes_node = doc.get("codes")
    if not isinstance(codes_node, list) or not codes_node:
        raise CodebookError("[codes] must be a non-empty list", file=file, line=doc["__lines__"].get("codes", 1))
    codes: list[CodeSpec] = []
    seen: dict[str, int] = {}
    warnings: list[str] = []
    for index, item in enumerate(codes_node):
        if not isinstance(item, dict):
            raise CodebookError(f"[codes -> {index}] must be a mapping", file=file, line=doc["__lines__"]["codes"])
        line = item["__line__"]
        lines = item["__lines__"]
        code_id = str(item.get("id") or "").strip()
        if not code_id:
            raise CodebookError(f"[codes -> {index} -> id] field required", file=file, line=line)
        if not _CODE_ID.match(code_id):
            raise CodebookError(
                f"[codes -> {index} -> id] {code_id!r} is not a code id (lower case, dots between levels, "
                "e.g. root_cause.family)",
                file=file,
                line=lines.get("id", line),
            )
        if code_id in seen:
            raise CodebookError(
                f"[codes -> {index} -> id] duplicate id {code_id!r} (first on line {seen[code_id]})",
                file=file,
                line=lines.get("id", line),
            )
        seen[code_id] = lines.get("id", line)
        definition = str(item.get("definition") or "").strip()
        if not definition:
            raise CodebookError(
                f"[codes -> {index} -> definition] missing definition for {code_id!r}", file=file, line=line
            )
        colour = str(item.get("colour") or item.get("color") or "#888888").strip()
        if not _COLOUR.match(colour):
            raise CodebookError(
                f"[codes -> {index} -> colour] {colour!r} is not a colour; use #RRGGBB",
                file=file,
                line=lines.get("colour", lines.get("color", line)),
            )
        unknown_fields = sorted(k for k in item if not k.startswith("__") and k not in _KNOWN_FIELDS)
        if unknown_fields:
            warnings.append(f"{file}, line {line}: unknown fields ignored: {', '.join(unknown_fields)}")
        lists = {
            key: _text_list(item.get(key), f"codes -> {index} -> {key}", file, lines.get(key, line))
            for key in _LIST_FIELDS
        }
        parent = item.get("parent")
        excludes = _text_list(item.get("excludes"), f"codes -> {index} -> excludes", file, lines.get("excludes", line))
        codes.append(
            CodeSpec(
                id=code_id,
                name=str(item.get("name") or code_id).strip(),
                definition=" ".join(definition.split()),
                group=str(item.get("group") or code_id.split(".")[0]),
                colour=colour.lower(),
                parent=str(parent).strip() if parent else None,
                excludes=tuple(e.strip() for e in excludes),
                line=line,
                **lists,
            )
        )
    groups = _parse_groups(doc.get("groups"), file, doc["__lines__"].get("groups", 1))
    ids = {c.id for c in codes}
    for index, code in enumerate(codes):
        if code.parent and code.parent not in ids and code.parent not in known_ids:
            raise CodebookError(
                f"[codes -> {index} -> parent] unknown parent {code.parent!r} of {code.id!r}",
                file=file,
                line=code.line,
            )
        for other in code.excludes:
            if other == code.id or (other not in ids and other not in known_ids):
                raise CodebookError(
                    f"[codes -> {index} -> excludes] {other!r} is not another code of the codebook",
                    file=file,
                    line=code.line,
                )
    return CodebookSpec(
        id=str(header["id"]).strip(),
        name=str(header["name"]).strip(),
        version=str(header.get("version") or "1").strip(),
        codes=tuple(codes),
        groups=groups,
        source=file,
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=tuple(warnings),
    )
