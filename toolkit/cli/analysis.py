"""Commands that report findings and agreement."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from toolkit.cli.access import sign_in
from toolkit.cli.app import app, consensus_app, fit_progress, open_cli_store, split_list
from toolkit.errors import ToolkitError
from toolkit.io.private import write_private_text


@app.command("agreement")
def agreement_cmd(
    coders: Annotated[list[str] | None, typer.Option(help="Coders to compare (comma-separated); 'model' too.")] = None,
    codes: Annotated[list[str] | None, typer.Option(help="Only these codes.")] = None,
    unit: Annotated[Literal["respondent", "all"], typer.Option(help="respondent turns or all turns.")] = "respondent",
    threshold: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="The model's suggestions count at or above this (0: every stored suggestion, as `suggest` made it).",
        ),
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Inter-coder agreement per code and overall: percent agreement, Cohen's kappa, Krippendorff's alpha."""
    from toolkit.analysis.agreement_store import compute_agreement

    with open_cli_store() as store:
        table = compute_agreement(store, split_list(coders), split_list(codes), unit, threshold)
    if as_json:
        typer.echo(json.dumps(table, indent=2))
        return

    def fmt(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.3f}"

    typer.echo(f"unit: {table['unit']}; coders: {', '.join(table['coders'])}")
    typer.echo(f"{'code':30} {'agree%':>7} {'kappa':>6} {'alpha':>6} {'prev':>6} {'units':>6}")
    for code, m in [*table["per_code"].items(), ("overall", table["overall"])]:
        agree = m["percent_agreement"]
        typer.echo(
            f"{code:30} {'' if agree is None else f'{agree * 100:6.1f}%':>7} {fmt(m['cohen_kappa'])} "
            f"{fmt(m['krippendorff_alpha'])} {fmt(m['prevalence'])} {m['n_units']:6d}"
        )


@app.command("disagreements")
def disagreements_cmd(
    coders: Annotated[list[str] | None, typer.Option(help="Coders to compare.")] = None,
    codes: Annotated[list[str] | None, typer.Option(help="Only these codes.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write CSV here.")] = None,
) -> None:
    """The segments coders disagree on, with each coder's codes: the agenda of a consensus meeting."""
    from toolkit.analysis.agreement_store import disagreement_rows, disagreements_csv

    with open_cli_store() as store:
        rows = disagreement_rows(store, split_list(coders), split_list(codes))
    text = disagreements_csv(rows)
    if output:
        write_private_text(output, text)
        typer.echo(f"{len(rows)} disagreements written to {output}; fill in the consensus column")
    else:
        sys.stdout.write(text)


@consensus_app.command("import")
def consensus_import(
    file: Path,
    agreed_from: Annotated[
        list[str] | None, typer.Option(help="Also copy what these coders all agreed on elsewhere.")
    ] = None,
) -> None:
    """Record the 'consensus' column of a filled-in disagreements CSV as coder 'consensus'."""
    from toolkit.analysis.agreement_store import record_consensus
    from toolkit.io.tables import read_rows

    display, rows = read_rows(file, kind="csv")
    with open_cli_store() as store:
        sign_in(store, "review")
        added = record_consensus(store, [row for _, row in rows], source=display, agreed_from=split_list(agreed_from))
    typer.echo(f"consensus: {added} codings recorded")


@app.command("report")
def report_cmd(
    output: Annotated[Path | None, typer.Argument(help="With --format html|docx: the file to write.")] = None,
    coder: Annotated[
        str | None, typer.Option(help="Whose codings count: a coder name, 'all', or 'accepted' (suggestions).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    min_cell: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Fewest people a cell of a breakdown by attributes may show (default $QDA_MIN_CELL or 3; 0: all).",
        ),
    ] = None,
    fmt: Annotated[
        Literal["text", "html", "docx"],
        typer.Option("--format", help="html (self-contained, offline) or docx (Word) writes OUTPUT."),
    ] = "text",
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="Only interviews where ATTRIBUTE=VALUE (repeatable).")
    ] = None,
    compare: Annotated[
        list[str] | None, typer.Option("--compare", help="Attributes to compare groups by (default: the study's).")
    ] = None,
    min_group: Annotated[int, typer.Option(min=1, help="Mark groups with fewer interviews than this.")] = 5,
) -> None:
    """The headline findings computed from codings and case attributes (shares are fractions).

    Without --coder the project's reference coder counts (`qda reference NAME`); the output says whose
    codings it counts and why. `--format html|docx OUTPUT` writes the full report for a programme or donor;
    breakdowns by attributes merge or leave empty cells of fewer than 3 people.
    """
    if fmt != "text":
        from toolkit.studies.report_files import write_report

        if output is None:
            raise ToolkitError(f"name the file to write: qda report --format {fmt} report.{fmt}")
        with open_cli_store() as store, fit_progress("drawing charts") as on_progress:
            written = write_report(
                store, output, fmt, coder, filters or [], split_list(compare), min_group, min_cell, on_progress
            )
        typer.echo(f"wrote {output}: {written}")
        return
    from toolkit.analysis.frames import DEFAULT_CODER, CoderChoice, choose_coder, load_frames
    from toolkit.store.models import MODEL_ORIGINS
    from toolkit.studies.snapshot import report

    with open_cli_store() as store:
        if coder == "accepted":
            codings, cases = load_frames(store, None, origins=list(MODEL_ORIGINS))
            choice = CoderChoice(None, "accepted suggestions, any reviewer, as asked")
            label = "accepted suggestions (any reviewer)"
        else:
            choice = choose_coder(store, None if coder == "all" else (coder or DEFAULT_CODER))
            codings, cases = load_frames(store, choice.coder)
            label = choice.label
    result = report(codings, cases, label, min_cell=min_cell)
    result["coder_reason"] = choice.reason
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{result['n_interviews']} interviews; counting {label} ({choice.reason})")
    for key in ("heard_of_tip_share", "signed_documents", "received_share_of_signed", "checked_employer_share"):
        typer.echo(f"  {key}: {result.get(key)}")
    typer.echo(f"  recruitment: {result.get('recruitment_counts')}")
    for attribute, note in result["suppression"]["notes"].items():
        typer.echo(f"  by {attribute}: {note}")


@app.command("reference")
def reference_cmd(
    coder: Annotated[str | None, typer.Argument(help="The coder whose codings reports count by default.")] = None,
    clear: Annotated[bool, typer.Option(help="Choose no reference coder (reports then pool everyone).")] = False,
) -> None:
    """Show or choose the reference coder: whose codings `qda report` and the dashboard count by default."""
    from toolkit.analysis.frames import choose_coder, set_reference_coder

    with open_cli_store() as store:
        if clear or coder:
            set_reference_coder(store, None if clear else coder)
        choice = choose_coder(store)
    typer.echo(f"counting {choice.describe()}")


@app.command("estimate")
def estimate_cmd(
    code: Annotated[list[str] | None, typer.Option(help="Only these codes (repeat or comma-separate).")] = None,
    coder: Annotated[str | None, typer.Option(help="Whose codings count (default: the reference coder).")] = None,
    level: Annotated[float, typer.Option(min=0.5, max=0.99, help="Coverage of the intervals.")] = 0.9,
    recalibrate: Annotated[
        bool, typer.Option(help="Correct the interview chances on the coded interviews (slower, closer).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Share of interviews with each code: counted where coded, ESTIMATED with an interval for the rest."""
    from toolkit.analysis.estimates_store import estimate_lines, estimates_document, store_estimates
    from toolkit.analysis.frames import DEFAULT_CODER

    with open_cli_store() as store, fit_progress("coded interviews", shown=not as_json) as on_progress:
        result = store_estimates(
            store,
            split_list(code),
            coder=coder or DEFAULT_CODER,
            level=level,
            recalibrated=recalibrate,
            on_progress=on_progress,
        )
    if as_json:
        typer.echo(json.dumps(estimates_document(result), indent=2))
        return
    for line in estimate_lines(result):
        typer.echo(line)
