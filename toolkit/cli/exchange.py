"""Commands that exchange a project with other tools: REFI-QDA (.qdpx, .qdc), CSV and Excel tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from toolkit.cli.access import actor_for, sign_in
from toolkit.cli.app import RawActorOption, RawOption, app, open_cli_store, split_list
from toolkit.errors import ToolkitError


def _print_report(report: object) -> None:
    counts = getattr(report, "counts", {})
    typer.echo(", ".join(f"{n} {what}" for what, n in counts.items()))
    for warning in getattr(report, "warnings", []):
        typer.echo(f"warning: {warning}", err=True)
    skipped = getattr(report, "skipped", [])
    if skipped:
        typer.echo(f"skipped ({len(skipped)}):")
        for item in skipped:
            typer.echo(f"  - {item}")
    not_seen = getattr(report, "not_seen", [])
    if not_seen:
        typer.echo("other tools will not see (kept for survivor-qda in survivor-qda.json inside the archive):")
        for item in not_seen:
            typer.echo(f"  - {item}")


@app.command("export")
def export_cmd(
    output: Annotated[Path, typer.Argument(help="The file to write.")],
    fmt: Annotated[
        Literal["qdpx", "qdc", "csv", "xlsx"],
        typer.Option("--format", help="qdpx (REFI-QDA project), qdc (codebook), csv (a folder of tables), xlsx."),
    ] = "qdpx",
    coder: Annotated[list[str] | None, typer.Option(help="Only these coders (blind mode: name yourself).")] = None,
    raw: RawOption = False,
    actor: RawActorOption = "system",
) -> None:
    """Export the project for NVivo, ATLAS.ti, MAXQDA, QualCoder (REFI-QDA) or as tables for Excel.

    Every text is de-identified (identifiers replaced by pseudonyms; a .qdpx carries the de-identified
    documents, its codings pointing at the same words) unless --raw, which is recorded in the audit trail.
    """
    if raw and fmt != "qdpx":
        raise ToolkitError("--raw applies to --format qdpx only; tables quote de-identified text")
    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        if fmt == "qdpx":
            from toolkit.analysis.exchange import export_qdpx

            _, report = export_qdpx(store, output, split_list(coder), raw=raw, actor=actor)
        elif fmt == "qdc":
            from toolkit.analysis.exchange import export_qdc

            _, report = export_qdc(store, output)
        else:
            from toolkit.analysis.tables_export import export_tables

            report = export_tables(store, output, fmt, split_list(coder))
    typer.echo(f"wrote {output}")
    _print_report(report)


@app.command("import-qdpx")
def import_qdpx_cmd(file: Path) -> None:
    """Import a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder) into an empty store.

    Everything that cannot be imported (pictures, PDFs, media, links, graphs) is listed.
    """
    from toolkit.analysis.exchange_import import import_qdpx

    with open_cli_store() as store:
        sign_in(store, "project")
        report = import_qdpx(store, file, actor="import")
    typer.echo(f"imported {file}")
    _print_report(report)
