"""Codebook YAML files, validated with messages that name the file, the line and the field.

Format (one codebook per file)::

    codebook: {id: tip_root_causes, name: "...", version: "1.0"}
    codes:
      - id: root_cause.education        # fixed id; the prefix before the first dot is the group
        name: Education and career change
        definition: ...
        include: [...]                   # inclusion criteria
        exclude: [...]                   # exclusion criteria
        examples: [...]                  # 3-6 example phrasings (English), or per language:
        keywords: {en: [...], ru: [...]} # {language: [...]} for examples and keywords alike
        colour: "#1f77b4"
        parent: root_cause.economic      # optional, another code's id
        excludes: [contract.received]    # optional: codes that may not share a turn with this one

Use :func:`parse_codebook` on a path, text or an upload; it returns a :class:`CodebookSpec`. The YAML is
read with a loader that remembers every mapping's line; the structure is validated by pydantic models
(:class:`_Codebook`), whose error paths (``codes -> 3 -> colour``) are turned back into that line.

A codebook needs none of YAML's riskier features, so they are refused with the line: anchors and aliases
(an alias bomb expands a few lines into gigabytes), keys that are not texts, nesting deeper than
:data:`MAX_DEPTH`, and files over :data:`MAX_CODEBOOK_BYTES`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from toolkit.errors import CodebookError
from toolkit.io.source import SourceLike, read_source

__all__ = ["MAX_CODEBOOK_BYTES", "MAX_DEPTH", "CodeSpec", "CodebookSpec", "parse_codebook"]

MAX_CODEBOOK_BYTES = 5 * 1024 * 1024  # the 16-code root-cause codebook is 20 KB
MAX_DEPTH = 20  # mappings and lists inside each other; a codebook needs 4

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CODE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


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
    # Examples and keywords in languages other than English: {"ru": {"examples": (...), "keywords": (...)}}.
    translations: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, hash=False)


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
                line=event.start_mark.line + 1 if event.start_mark else None,
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


def _text_list(value: Any) -> tuple[str, ...]:
    """A list of texts; one text alone is a list of one; blanks dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ValueError("must be a list of texts")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _by_language(value: Any) -> dict[str, tuple[str, ...]]:
    """``{language: texts}`` from ``{en: [...], ru: [...]}``; a plain list (or one text) is English."""
    if not isinstance(value, dict):
        return {"en": _text_list(value)}
    out: dict[str, tuple[str, ...]] = {}
    for language, texts in value.items():
        if not _LANGUAGE.match(str(language)):
            raise ValueError(f"{language!r} is not a language code such as en or ru")
        out[str(language)] = _text_list(texts)
    return out


TextList = Annotated[tuple[str, ...], BeforeValidator(_text_list)]
ByLanguage = Annotated[dict[str, tuple[str, ...]], BeforeValidator(_by_language)]
Text = Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v).strip())]


class _Header(BaseModel):
    """``codebook: {id, name, version}``."""

    model_config = ConfigDict(extra="ignore")

    id: Text
    name: Text
    version: Text = "1"

    @field_validator("id", "name")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value:
            raise ValueError("field required")
        return value


class _Group(BaseModel):
    """``groups: {recruitment: {max_per_segment: 1}}``: how many codes of a group one turn carries."""

    model_config = ConfigDict(extra="ignore")

    max_per_segment: StrictInt = Field(ge=1)


class _Code(BaseModel):
    """One code as written; unknown fields are kept aside and reported as warnings, not errors."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: Text
    name: Text = ""
    definition: Text = ""
    colour: Text = Field("#888888", validation_alias=AliasChoices("colour", "color"))
    parent: Text = ""
    group: Text = ""
    include: TextList = ()
    exclude: TextList = ()
    examples: ByLanguage = Field(default_factory=dict)
    keywords: ByLanguage = Field(default_factory=dict)
    excludes: TextList = ()

    @field_validator("id")
    @classmethod
    def _code_id(cls, value: str) -> str:
        if not value:
            raise ValueError("field required")
        if not _CODE_ID.match(value):
            raise ValueError(f"{value!r} is not a code id (lower case, dots between levels, e.g. root_cause.family)")
        return value

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value or "#888888"):
            raise ValueError(f"{value!r} is not a colour; use #RRGGBB")
        return (value or "#888888").lower()

    @model_validator(mode="after")
    def _defined(self) -> _Code:
        if not self.definition:
            raise ValueError(f"missing definition for {self.id!r}")
        return self


class _Codebook(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="ignore")

    codebook: _Header
    codes: list[_Code] = Field(min_length=1)
    groups: dict[str, _Group] = Field(default_factory=dict)


def _plain(node: Any) -> Any:
    """The loaded YAML without the loader's line bookkeeping (keys starting with ``__``)."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _located(doc: Any, loc: tuple[Any, ...]) -> tuple[str, int | None]:
    """Where a pydantic error points: ``codes -> 3 -> colour`` and the line of the deepest node found."""
    node, line, parts = doc, 1, []
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = node["__lines__"].get(part, node.get("__line__", line))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = node["__line__"] if isinstance(node, dict) else line
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier():
            parts.append(part)  # a missing field: name it, at the line of its mapping
            line = node.get("__line__", line)
            break
        else:
            break  # pydantic's own steps (a validator's name): the path of the data ends here
        parts.append(str(part) if isinstance(part, int) or str(part).isprintable() else repr(part))
    return " -> ".join(parts), line


def _first_error(error: ValidationError, doc: Any, file: str) -> CodebookError:
    detail = error.errors(include_url=False)[0]
    where, line = _located(doc, tuple(detail["loc"]))
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] == "missing":
        message = "field required"
    elif detail["type"] == "too_short" and where == "codes":
        message = "must be a non-empty list"
    elif detail["type"] in ("model_type", "dict_type"):
        message = "must be a mapping"
    return CodebookError(f"[{where}] {message}" if where else message, file=file, line=line)


def parse_codebook(
    source: SourceLike, name: str | None = None, known_ids: frozenset[str] = frozenset()
) -> CodebookSpec:
    """Parse and validate a codebook; raise :class:`CodebookError` at the first problem, with its line.

    ``known_ids`` are codes already in the store, which a parent may name.

    Example:
        >>> spec = parse_codebook("codebook/tip_root_causes.yaml")  # doctest: +SKIP
        >>> spec.codes[0].id
        'root_cause.education'
    """
    if isinstance(source, str) and "\n" in source:  # YAML text itself, as a notebook may pass it
        source, name = source.encode(), name or "<text>"
    loaded = read_source(source, name, limit=MAX_CODEBOOK_BYTES, error=CodebookError)
    data, file = loaded.data, loaded.display
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
    if not isinstance(doc.get("codebook"), dict):
        raise CodebookError("[codebook] missing: give id, name and version", file=file, line=1)
    try:
        book = _Codebook.model_validate(_plain(doc))
    except ValidationError as exc:
        raise _first_error(exc, doc, file) from None
    codes: list[CodeSpec] = []
    seen: dict[str, int] = {}
    warnings: list[str] = []
    for index, (code, item) in enumerate(zip(book.codes, doc["codes"], strict=True)):
        line, lines = item["__line__"], item["__lines__"]
        if code.id in seen:
            raise CodebookError(
                f"[codes -> {index} -> id] duplicate id {code.id!r} (first on line {seen[code.id]})",
                file=file,
                line=lines.get("id", line),
            )
        seen[code.id] = lines.get("id", line)
        if code.model_extra:
            warnings.append(f"{file}, line {line}: unknown fields ignored: {', '.join(sorted(code.model_extra))}")
        examples, keywords = dict(code.examples), dict(code.keywords)
        translations: dict[str, dict[str, tuple[str, ...]]] = {}
        for key, by_language in (("examples", examples), ("keywords", keywords)):
            for language, texts in by_language.items():
                if language != "en":
                    translations.setdefault(language, {})[key] = texts
        codes.append(
            CodeSpec(
                id=code.id,
                name=code.name or code.id,
                definition=" ".join(code.definition.split()),
                group=code.group or code.id.split(".")[0],
                colour=code.colour,
                parent=code.parent or None,
                include=code.include,
                exclude=code.exclude,
                examples=examples.get("en", ()),
                keywords=keywords.get("en", ()),
                excludes=code.excludes,
                translations=translations,
                line=line,
            )
        )
    ids = {c.id for c in codes}
    for index, spec in enumerate(codes):
        if spec.parent and spec.parent not in ids and spec.parent not in known_ids:
            raise CodebookError(
                f"[codes -> {index} -> parent] unknown parent {spec.parent!r} of {spec.id!r}", file=file, line=spec.line
            )
        for other in spec.excludes:
            if other == spec.id or (other not in ids and other not in known_ids):
                raise CodebookError(
                    f"[codes -> {index} -> excludes] {other!r} is not another code of the codebook",
                    file=file,
                    line=spec.line,
                )
    groups = {name: {"max_per_segment": group.max_per_segment} for name, group in book.groups.items()}
    return CodebookSpec(
        id=book.codebook.id,
        name=book.codebook.name,
        version=book.codebook.version or "1",
        codes=tuple(codes),
        groups=groups,
        source=file,
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=tuple(warnings),
    )
