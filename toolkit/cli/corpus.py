"""Commands that bring transcripts and case attributes in, and show what is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.app import app, attributes_app, open_cli_store


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Transcripts: .txt, .md or .docx.")],
    attributes: Annotated[Path | None, typer.Option(help="CSV of case attributes, one row per document.")] = None,
    replace: Annotated[bool, typer.Option(help="Update changed documents, keeping unchanged codings.")] = False,
    interviewer_label: Annotated[list[str] | None, typer.Option(help="Label of the interviewer.")] = None,
    respondent_label: Annotated[list[str] | None, typer.Option(help="Label of the respondent.")] = None,
    label_regex: Annotated[str | None, typer.Option(help="Turn regex with a named group 'label'.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force a text encoding, e.g. cp1251.")] = None,
    language: Annotated[
        str | None, typer.Option(help="Language of every file (en, ru, be); default: detected per document.")
    ] = None,
) -> None:
    """Import transcripts: segment them into turns and sentences, all in one transaction."""
    from toolkit.corpus.importer import import_files
    from toolkit.corpus.language import normalise_language
    from toolkit.io.transcripts import RoleOverrides

    overrides = RoleOverrides(tuple(interviewer_label or ()), tuple(respondent_label or ()), label_regex)
    try:
        language = normalise_language(language) if language else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--language") from exc
    with open_cli_store() as store:
        report = import_files(
            store,
            files,
            replace=replace,
            overrides=overrides,
            encoding=encoding,
            attributes=attributes,
            language=language,
        )
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"imported {len(report.imported)} document(s), {report.segments} segments; "
        f"unchanged {len(report.unchanged)}; replaced {len(report.replaced)}"
    )
    counts: dict[str, int] = {}
    for lang in report.languages.values():
        counts[lang] = counts.get(lang, 0) + 1
    if counts:
        shown = ", ".join(f"{lang} {n}" for lang, n in sorted(counts.items()))
        typer.echo(f"  languages: {shown}; suggestions use the embedding model {report.embedding_model}")
    for name in report.unchanged:
        typer.echo(f"  {name}: already imported, identical (nothing to do)")
    if report.replaced:
        typer.echo(f"  codings kept {report.codings_kept}, dropped {report.codings_dropped} (their text changed)")
        dropped = ", ".join(f"{n} {status}" for status, n in sorted(report.suggestions_dropped.items())) or "none"
        typer.echo(
            f"  suggestions kept {report.suggestions_kept} (turn unchanged), dropped {dropped} (their turn changed)"
        )


@attributes_app.command("import")
def attributes_import(file: Path) -> None:
    """Merge case attributes from a CSV with a 'document' or 'id' column."""
    from toolkit.corpus.attributes import import_attributes

    with open_cli_store() as store:
        count = import_attributes(store, file)
    typer.echo(f"attributes set for {count} document(s)")


@app.command()
def show(
    document: str, as_json: Annotated[bool, typer.Option("--json", help="One JSON object per segment.")] = False
) -> None:
    """Print a document's segments: position, role, speaker, timestamp, offsets, text."""
    from toolkit.analysis.status import document_segments

    with open_cli_store() as store:
        segments = document_segments(store, document)
    for seg in segments:
        if as_json:
            typer.echo(json.dumps(seg, ensure_ascii=False))
        else:
            head = f"[{seg['position']:>3}] {seg['role']:<11} {seg['speaker_label'] or '-':<12}"
            stamp = f" {seg['timestamp']}" if seg["timestamp"] else ""
            typer.echo(f"{head}{stamp} {seg['start']}-{seg['end']}: {seg['text']}")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Summarise the store: documents, segments, codes, codings per code and coder."""
    from toolkit.analysis.status import format_status, project_status

    with open_cli_store() as store:
        info = project_status(store)
    if as_json:
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    typer.echo(format_status(info))
