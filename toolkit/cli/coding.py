"""Commands of hand coding: codebooks, codings, coders, memos, blind mode, the audit trail."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from toolkit.cli.access import act_as, actor_for, sign_in
from toolkit.cli.app import (
    NEW_CODER_HELP,
    RawActorOption,
    RawOption,
    app,
    codebook_app,
    coders_app,
    codings_app,
    memo_app,
    open_cli_store,
)
from toolkit.errors import ToolkitError


@codebook_app.command("load")
def codebook_load(file: Path) -> None:
    """Validate a YAML codebook (or a REFI-QDA .qdc) and load (or update) its codes."""
    from toolkit.coding.codebook import load_codebook

    if file.suffix.lower() == ".qdc":
        from toolkit.analysis.exchange_import import load_qdc

        with open_cli_store() as store:
            sign_in(store, "code")
            report = load_qdc(store, file)
        for warning in report.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"codebook {file.name}: {report.counts['codes']} codes ({report.counts['added']} added, "
                   f"{report.counts['updated']} updated)")  # fmt: skip
        return
    with open_cli_store() as store:
        sign_in(store, "code")
        spec = load_codebook(store, file)
    for warning in spec.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"codebook {spec.id} v{spec.version}: {len(spec.codes)} codes")


@codebook_app.command("list")
def codebook_list() -> None:
    """List the codes in the store as a tree (a child indented under its parent)."""
    from toolkit.coding.codes import code_tree

    with open_cli_store() as store:
        rows = code_tree(store)
    for row in rows:
        label = "  " * row.depth + row.id
        typer.echo(f"{label:32} {row.colour}  {row.name}")


@codings_app.command("import")
def codings_import(
    file: Path,
    coder: Annotated[str, typer.Option(help="Name of the coder whose work this is.")],
    new_coder: Annotated[bool, typer.Option(help=NEW_CODER_HELP)] = False,
) -> None:
    """Import codings from JSONL or CSV rows {document, quote | segment, codes}.

    The coder must exist (`qda coders add NAME`) unless --new-coder registers them.
    """
    from toolkit.coding.codings import import_codings

    with open_cli_store() as store:
        coder = act_as(store, "code", coder)
        report = import_codings(store, file, coder, new_coder=new_coder)
    typer.echo(f"{report.rows} rows: {report.added} codings added, {report.already_present} already present")


@codings_app.command("export")
def codings_export(
    fmt: Annotated[Literal["csv", "jsonl"], typer.Option("--format", help="File format.")] = "csv",
    coder: Annotated[list[str] | None, typer.Option(help="Only these coders.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Quotes as imported, not de-identified (recorded in the audit trail).")
    ] = False,
    actor: Annotated[str, typer.Option(help="Who asks for raw text (for the audit trail).")] = "system",
) -> None:
    """Export codings with document, segment, offsets, quote, code, coder and origin.

    Quotes are de-identified (identifiers replaced by pseudonyms) unless --raw. In blind mode only your
    own codings are exported: name yourself with a single --coder. A file is written readable by you only.
    """
    from toolkit.coding.codings import export_codings
    from toolkit.io.private import write_private_text

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        text = export_codings(store, fmt, coder, raw=raw, actor=actor)
    if output:
        write_private_text(output, text)
        typer.echo(f"wrote {output}")
    else:
        sys.stdout.write(text)


@coders_app.command("add")
def coders_add(name: str) -> None:
    """Register a coder."""
    from toolkit.coding.review import add_coder

    with open_cli_store() as store:
        add_coder(store, name)
    typer.echo(f"coder {name} added")


@coders_app.command("list")
def coders_list() -> None:
    """List coders."""
    with open_cli_store() as store:
        from toolkit.analysis.status import project_status

        names = project_status(store)["coders"]
    typer.echo("\n".join(names) or "no coders yet")


@app.command("code")
def code_cmd(
    document: str,
    start: int,
    end: int,
    code: str,
    coder: Annotated[str, typer.Option(help="Who is coding.")],
    new_coder: Annotated[bool, typer.Option(help=NEW_CODER_HELP)] = False,
) -> None:
    """Code any character span [START, END) of a document (overlaps allowed).

    The coder must exist (`qda coders add NAME`) unless --new-coder registers them.
    """
    from toolkit.coding.review import add_coding

    with open_cli_store() as store:
        coder = act_as(store, "code", coder)
        coding_id = add_coding(store, coder, document, start, end, code, new_coder=new_coder)
    typer.echo(f"coding {coding_id}: {code} on {document} {start}-{end}")


IF_VERSION_HELP = "Only if the coding is still at this version (as you last saw it); refused, naming who, if not."


@app.command("uncode")
def uncode_cmd(
    coding_id: int,
    coder: Annotated[str, typer.Option(help="Owner of the coding.")],
    if_version: Annotated[int | None, typer.Option(help=IF_VERSION_HELP)] = None,
) -> None:
    """Remove one of your codings."""
    from toolkit.coding.review import remove_coding

    with open_cli_store() as store:
        coder = act_as(store, "code", coder)
        remove_coding(store, coder, coding_id, expected_version=if_version)
    typer.echo(f"coding {coding_id} removed")


@app.command("recode")
def recode_cmd(
    coding_id: int,
    code: str,
    coder: Annotated[str, typer.Option(help="Owner of the coding.")],
    if_version: Annotated[int | None, typer.Option(help=IF_VERSION_HELP)] = None,
) -> None:
    """Change the code of one of your codings."""
    from toolkit.coding.review import recode

    with open_cli_store() as store:
        coder = act_as(store, "code", coder)
        recode(store, coder, coding_id, code, expected_version=if_version)
    typer.echo(f"coding {coding_id} is now {code}")


@memo_app.command("add")
def memo_add(
    text: str,
    coder: Annotated[str, typer.Option(help="Author.")],
    code: Annotated[str | None, typer.Option(help="A code id.")] = None,
    document: Annotated[str | None, typer.Option(help="A document name.")] = None,
    coding: Annotated[int | None, typer.Option(help="A coding id.")] = None,
) -> None:
    """Write a memo on exactly one of --code, --document, --coding."""
    from toolkit.coding.review import add_memo

    targets = [(k, v) for k, v in (("code", code), ("document", document), ("coding", coding)) if v is not None]
    if len(targets) != 1:
        raise ToolkitError("name exactly one of --code, --document, --coding")
    with open_cli_store() as store:
        coder = act_as(store, "code", coder)
        memo_id = add_memo(store, coder, targets[0][0], targets[0][1], text)
    typer.echo(f"memo {memo_id} saved")


@memo_app.command("list")
def memo_list(
    as_json: Annotated[bool, typer.Option("--json")] = False, raw: RawOption = False, actor: RawActorOption = "system"
) -> None:
    """List memos; identifiers found in the transcripts are replaced by pseudonyms unless --raw (audited)."""
    from toolkit.coding.review import list_memos

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        memos = list_memos(store, raw=raw)
        if raw:
            from toolkit.corpus.identifiers import audit_raw_access

            audit_raw_access(store, ["memos"], actor, "memo list")
    for memo in memos:
        typer.echo(
            json.dumps(memo) if as_json else f"[{memo['target_type']} {memo['target']}] {memo['coder']}: {memo['text']}"
        )


@app.command("blind")
def blind_cmd(state: Annotated[Literal["on", "off"], typer.Argument(help="on or off")]) -> None:
    """Blind coding: coders see only their own codings until agreement is computed."""
    from toolkit.coding.review import set_blind

    if state not in ("on", "off"):
        raise ToolkitError("say `qda blind on` or `qda blind off`")
    with open_cli_store() as store:
        sign_in(store, "project")
        set_blind(store, state == "on")
    typer.echo(f"blind mode {state}")


audit_app = typer.Typer(help="The audit trail: list it, or verify its hash chain (`qda audit verify`).")
app.add_typer(audit_app, name="audit", invoke_without_command=True)


@audit_app.callback(invoke_without_command=True)
def audit_cmd(
    ctx: typer.Context,
    document: Annotated[str | None, typer.Option(help="Only events about this document.")] = None,
    coder: Annotated[str | None, typer.Option(help="Only events by this person.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    raw: RawOption = False,
    actor: RawActorOption = "system",
) -> None:
    """List the audit trail: who did what, when, before and after (known identifiers replaced unless --raw)."""
    if ctx.invoked_subcommand is not None:
        return
    from toolkit.coding.review import audit_trail

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        events = audit_trail(store, document, coder, raw=raw)
        if raw:
            from toolkit.corpus.identifiers import audit_raw_access

            audit_raw_access(store, [document or "audit trail"], actor, "audit trail")
    for event in events:
        if as_json:
            typer.echo(json.dumps(event, ensure_ascii=False))
        else:
            typer.echo(
                f"{event['at'][:19]} {event['actor']:<10} {event['action']:<20} {event['entity']} {event['entity_id']}"
                f" before={json.dumps(event['before'], ensure_ascii=False)[:80]}"
                f" after={json.dumps(event['after'], ensure_ascii=False)[:80]}"
            )


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the hash chain of the audit trail; exit 1 and name the first broken link if it was tampered with."""
    from toolkit.coding.review import verify_audit

    with open_cli_store() as store:
        result = verify_audit(store)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "events": result.events,
                    "erased_payloads": result.erased,
                    "head": result.head,
                    "broken_at": result.broken_at,
                    "reason": result.reason,
                }
            )
        )
    elif result.ok:
        typer.echo(
            f"audit trail intact: {result.events} events chained, {result.erased} payload(s) erased by design; "
            f"head {result.head}"
        )
    else:
        typer.echo(f"audit trail BROKEN: {result.reason}", err=True)
    if not result.ok:
        raise typer.Exit(1)
