"""Write a codebook back to YAML, so the file stays the reviewable source after codes change in the dashboard.

The output reads back with :func:`toolkit.io.codebook_yaml.parse_codebook` into the same codes (a test
holds the round trip); a code's ``parent`` is written after its other fields, and parents come before
their children so the file reads top-down as a tree.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from toolkit.io.codebook_yaml import CodebookSpec, CodeSpec

__all__ = ["dump_codebook"]

_HEADER = "# Exported by survivor-qda from the store (`qda codebook export`); load it back with `qda codebook load`.\n"


def _code(spec: CodeSpec) -> dict[str, object]:
    out: dict[str, object] = {"id": spec.id, "name": spec.name, "colour": spec.colour}
    if spec.parent:
        out["parent"] = spec.parent
    if spec.group != spec.id.split(".")[0]:
        out["group"] = spec.group
    out["definition"] = spec.definition
    for key in ("include", "exclude", "examples", "keywords"):
        values: Sequence[str] = getattr(spec, key)
        if values:
            out[key] = list(values)
    return out


def dump_codebook(spec: CodebookSpec) -> str:
    """The codebook as YAML text (UTF-8, no Python tags)."""
    document: dict[str, object] = {"codebook": {"id": spec.id, "name": spec.name, "version": spec.version}}
    if spec.groups:
        document["groups"] = spec.groups
    document["codes"] = [_code(code) for code in spec.codes]
    return _HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
