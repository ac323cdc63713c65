"""Commands of the coding workspace: full-text search and the QDA queries (coding, matrix, co-occurrence, words)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.access import act_as, actor_for
from toolkit.cli.app import RawActorOption, RawOption, app, codebook_app, memo_app, open_cli_store, split_list
from toolkit.errors import ToolkitError

query_app = typer.Typer(no_args_is_help=True, help="Coding, matrix, co-occurrence and word-frequency queries.")
app.add_typer(query_app, name="query")

CoderOption = Annotated[
    str | None,
    typer.Option(help="Whose codings count (default: the reference coder; 'all' pools everyone)."),
]


def _coder(value: str | None) -> str | None:
    from toolkit.analysis.frames import DEFAULT_CODER

    if value is None:
        return DEFAULT_CODER
    return None if value == "all" else value


def _attributes(values: list[str] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ToolkitError(f"--attribute takes NAME=VALUE, not {item!r}")
        out.setdefault(name.strip(), []).append(value.strip())
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help='Words (any form) and "quoted phrases"; a turn must hold all.')],
    role: Annotated[list[str] | None, typer.Option(help="Only turns of this speaker role (repeatable).")] = None,
    attribute: Annotated[
        list[str] | None, typer.Option(help="Only interviews with NAME=VALUE (repeatable; same NAME = any of).")
    ] = None,
    code: Annotated[list[str] | None, typer.Option(help="Only turns coded with one of these codes.")] = None,
    document: Annotated[list[str] | None, typer.Option(help="Only these documents.")] = None,
    coder: CoderOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many results.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    raw: RawOption = False,
    actor: RawActorOption = "system",
) -> None:
    """Full-text search: one result per matching turn (document, position, start, end, text).

    Searches and shows the de-identified text unless --raw (recorded in the audit trail).
    """
    from toolkit.analysis.search import search

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        hits = search(
            store,
            query,
            roles=split_list(role),
            attributes=_attributes(attribute),
            codes=split_list(code),
            documents=split_list(document),
            coder=_coder(coder),
            limit=limit,
            raw=raw,
        )
        if raw:
            from toolkit.corpus.identifiers import audit_raw_access

            audit_raw_access(store, sorted({h.document for h in hits}), actor, "search")
    for hit in hits:
        if as_json:
            typer.echo(json.dumps(hit.as_dict(), ensure_ascii=False))
        else:
            typer.echo(f"{hit.document}\t{hit.position}\t{hit.start}\t{hit.end}\t{_one_line(hit.text)}")
    if not as_json:
        typer.echo(f"{len(hits)} matching turns", err=True)


@query_app.command("coding")
def query_coding(
    expression: Annotated[str, typer.Argument(help="e.g. 'root_cause.economic AND NOT root_cause.family'")],
    scope: Annotated[str, typer.Option(help="turn (same turn) or interview (same interview).")] = "turn",
    coder: CoderOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Coding query: turns or interviews whose codes satisfy AND / OR / NOT."""
    from toolkit.analysis.queries import coding_query

    with open_cli_store() as store:
        result = coding_query(store, expression, scope, _coder(coder))  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"{result.interviews} interviews, {result.segments} turns ({scope}; coder: {result.coder})")
    for turn in result.turns:
        typer.echo(f"{turn['document']}\t{turn['segment']}\t{','.join(turn['codes'])}\t{_one_line(turn['text'])}")


def _print_frame(frame, as_json: bool) -> None:
    if as_json:
        typer.echo(frame.to_json(orient="split"))
    else:
        typer.echo(frame.to_string())


@query_app.command("matrix")
def query_matrix(
    attribute: Annotated[str, typer.Argument(help="A case attribute, e.g. gender.")],
    code: Annotated[list[str] | None, typer.Option(help="Rows: these codes (default: all).")] = None,
    count: Annotated[str, typer.Option(help="interviews or segments.")] = "interviews",
    coder: CoderOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="pandas 'split' JSON (index, columns, data).")] = False,
    min_cell: Annotated[
        int | None,
        typer.Option(min=0, help="Fewest people a cell may show (default $QDA_MIN_CELL or 3; 0: all, exact)."),
    ] = None,
) -> None:
    """Matrix query: codes x attribute values, counting interviews (or turns) per cell.

    Values held by fewer than 3 interviews are merged into one column and cells that show (or give back by
    subtraction) 1 or 2 people are empty (null in JSON), as on every breakdown; --min-cell 0 shows all.
    """
    from toolkit.analysis.disclosure import protected_matrix_query
    from toolkit.analysis.queries import matrix_query

    if count not in ("interviews", "segments"):
        raise ToolkitError("--count is interviews or segments")
    with open_cli_store() as store:
        frames = protected_matrix_query(
            matrix_query(store, attribute, split_list(code), _coder(coder)), attribute, min_cell
        )
    _print_frame(frames[count], as_json)
    if not as_json:
        typer.echo(frames["interviews"].attrs["suppression"])


@query_app.command("cooccurrence")
def query_cooccurrence(
    code: Annotated[list[str] | None, typer.Option(help="These codes (default: all).")] = None,
    scope: Annotated[str, typer.Option(help="turn or interview.")] = "turn",
    coder: CoderOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Co-occurrence: in how many turns (or interviews) two codes are both applied."""
    from toolkit.analysis.queries import cooccurrence

    with open_cli_store() as store:
        frame = cooccurrence(store, split_list(code), scope, _coder(coder))  # type: ignore[arg-type]
    _print_frame(frame, as_json)


@query_app.command("words")
def query_words(
    code: Annotated[list[str] | None, typer.Option(help="Passages coded with these codes.")] = None,
    group: Annotated[str | None, typer.Option(help="Or: passages coded with any code of this group.")] = None,
    top: Annotated[int, typer.Option(min=1)] = 30,
    coder: CoderOption = None,
    lemmatizer: Annotated[str | None, typer.Option(help="'simple' for the model-free stand-in.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Word frequency by lemma (stop words out) in the passages of some codes or a code group."""
    from toolkit.analysis.queries import word_frequencies

    with open_cli_store() as store:
        frame = word_frequencies(store, split_list(code), group, top=top, coder=_coder(coder), lemmatizer=lemmatizer)
    if as_json:
        for record in frame.to_dict(orient="records"):  # a list: JSON Lines, like every listing command
            typer.echo(json.dumps(record, ensure_ascii=False, default=str))
    else:
        typer.echo(frame.to_string(index=False))


ActorOption = Annotated[str, typer.Option("--by", help="Who makes the change (the audit trail's actor).")]


@codebook_app.command("export")
def codebook_export(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")] = None,
    codebook: Annotated[str | None, typer.Option(help="Which codebook, if the store has several.")] = None,
) -> None:
    """Write the store's codebook (with the code tree and every edit) back to YAML."""
    from toolkit.coding.codes import export_codebook

    with open_cli_store() as store:
        text = export_codebook(store, codebook)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"codebook written to {out}", err=True)


@codebook_app.command("add")
def codebook_add(
    code_id: Annotated[str, typer.Argument(help="e.g. root_cause.debt")],
    name: Annotated[str, typer.Option(help="Display name.")],
    definition: Annotated[str, typer.Option(help="What the code means.")],
    by: ActorOption,
    parent: Annotated[str | None, typer.Option(help="Parent code id.")] = None,
    colour: Annotated[str, typer.Option(help="#RRGGBB")] = "#888888",
) -> None:
    """Create a code (audited)."""
    from toolkit.coding.codes import create_code

    with open_cli_store() as store:
        create_code(store, act_as(store, "code", by), code_id, name, definition, parent=parent, colour=colour)
    typer.echo(f"code {code_id} created")


@codebook_app.command("rename")
def codebook_rename(code_id: str, name: str, by: ActorOption) -> None:
    """Change a code's display name (its id stays)."""
    from toolkit.coding.codes import rename_code

    with open_cli_store() as store:
        rename_code(store, act_as(store, "code", by), code_id, name)
    typer.echo(f"code {code_id} is now called {name!r}")


@codebook_app.command("recolour")
def codebook_recolour(code_id: str, colour: str, by: ActorOption) -> None:
    """Give a code another colour (#RRGGBB)."""
    from toolkit.coding.codes import recolour_code

    with open_cli_store() as store:
        recolour_code(store, act_as(store, "code", by), code_id, colour)
    typer.echo(f"code {code_id} is now {colour}")


@codebook_app.command("move")
def codebook_move(
    code_id: str,
    by: ActorOption,
    parent: Annotated[str | None, typer.Option(help="New parent (omit: top level).")] = None,
) -> None:
    """Move a code in the tree."""
    from toolkit.coding.codes import move_code

    with open_cli_store() as store:
        move_code(store, act_as(store, "code", by), code_id, parent)
    typer.echo(f"code {code_id} moved under {parent or 'the top level'}")


@codebook_app.command("merge")
def codebook_merge(source: str, target: str, by: ActorOption) -> None:
    """Merge SOURCE into TARGET: its codings, suggestions, memos and children move; SOURCE goes."""
    from toolkit.coding.codes import merge_codes

    with open_cli_store() as store:
        counts = merge_codes(store, act_as(store, "code", by), source, target)
    typer.echo(f"{source} merged into {target}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("undo")
def undo_cmd(coder: Annotated[str, typer.Option(help="Whose last hand-coding action to undo.")]) -> None:
    """Undo your last hand-coding action (code, uncode, recode); again to step further back."""
    from toolkit.coding.hand_undo import undo_last_coding

    with open_cli_store() as store:
        undone = undo_last_coding(store, act_as(store, "code", coder))
    if undone is None:
        typer.echo("nothing to undo")
    else:
        typer.echo(f"undone: {undone['action']} of coding {undone['coding_id']}")


@memo_app.command("export")
def memo_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    out: Annotated[Path | None, typer.Option("--out")] = None,
    raw: RawOption = False,
    actor: RawActorOption = "system",
) -> None:
    """Every memo with what it is about (code, document, coding) as CSV or JSON lines.

    Identifiers found in the transcripts are replaced by their pseudonyms unless --raw (audited). A file is
    written readable by you only.
    """
    from toolkit.coding.memos import export_memos
    from toolkit.io.private import write_private_text

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        text = export_memos(store, fmt, raw=raw, actor=actor)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_private_text(out, text)


@memo_app.command("search")
def memo_search(
    query: Annotated[str, typer.Argument(help="Words in any form; a memo must hold all.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    raw: RawOption = False,
    actor: RawActorOption = "system",
) -> None:
    """Search memos (same word forms as `qda search`); known identifiers replaced unless --raw (audited)."""
    from toolkit.analysis.search import search_memos

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        memos = search_memos(store, query, raw=raw)
        if raw:
            from toolkit.corpus.identifiers import audit_raw_access

            audit_raw_access(store, ["memos"], actor, "memo search")
    for memo in memos:
        typer.echo(
            json.dumps(memo, ensure_ascii=False)
            if as_json
            else f"[{memo['target_type']} {memo['about']}] {memo['coder']}: {_one_line(memo['text'])}"
        )
