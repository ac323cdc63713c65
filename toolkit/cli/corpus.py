"""Commands that bring transcripts and case attributes in, and show what is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.access import act_as, actor_for, sign_in
from toolkit.cli.app import (
    app,
    attributes_app,
    deid_app,
    fit_progress,
    open_cli_store,
    participant_app,
    split_list,
    step_progress,
)


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Transcripts: .txt, .md or .docx.")],
    attributes: Annotated[Path | None, typer.Option(help="CSV of case attributes, one row per document.")] = None,
    replace: Annotated[bool, typer.Option(help="Update changed documents, keeping unchanged codings.")] = False,
    interviewer_label: Annotated[list[str] | None, typer.Option(help="Label of the interviewer.")] = None,
    respondent_label: Annotated[list[str] | None, typer.Option(help="Label of the respondent.")] = None,
    label_regex: Annotated[str | None, typer.Option(help="Turn regex with a named group 'label'.")] = None,
    statement: Annotated[
        bool,
        typer.Option(
            help="A file with no speaker labels is one respondent's own account (e.g. a published statement): "
            "one respondent turn, so that codes are suggested for it."
        ),
    ] = False,
    encoding: Annotated[str | None, typer.Option(help="Force a text encoding, e.g. cp1251.")] = None,
    deid: Annotated[
        bool, typer.Option(help="Detect personal identifiers and show the text with pseudonyms (default).")
    ] = True,
    language: Annotated[
        str | None, typer.Option(help="Language of every file (en, ru, be); default: detected per document.")
    ] = None,
) -> None:
    """Import transcripts: segment them into turns and sentences, detect identifiers, all in one transaction."""
    from toolkit.corpus.importer import import_files
    from toolkit.corpus.language import normalise_language
    from toolkit.io.transcripts import RoleOverrides

    overrides = RoleOverrides(tuple(interviewer_label or ()), tuple(respondent_label or ()), label_regex, statement)
    try:
        language = normalise_language(language) if language else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--language") from exc
    with open_cli_store() as store, step_progress() as on_progress:
        sign_in(store, "project")
        report = import_files(
            store,
            files,
            replace=replace,
            overrides=overrides,
            encoding=encoding,
            attributes=attributes,
            language=language,
            deid=deid,
            on_progress=on_progress,
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
    if report.identifiers:
        typer.echo(
            f"  identifiers found: {sum(report.identifiers.values())} in {len(report.identifiers)} document(s); "
            "review them with `qda deid list` before coders see the text"
        )
    elif not deid and (report.imported or report.replaced):
        typer.echo("  not de-identified (--no-deid): run `qda deid apply` before anyone codes or exports")
    if report.cache_rows_purged:
        typer.echo(f"  {report.cache_rows_purged} cached embeddings/lemmas of the old text deleted")
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
        sign_in(store, "project")
        count = import_attributes(store, file)
    typer.echo(f"attributes set for {count} document(s)")


@app.command()
def show(
    document: str,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per segment.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="The text as imported (recorded in the audit trail).")] = False,
    actor: Annotated[str, typer.Option(help="Who asks for raw text (for the audit trail).")] = "system",
) -> None:
    """Print a document's segments: position, role, speaker, timestamp, offsets, de-identified text."""
    from toolkit.analysis.status import document_segments

    with open_cli_store() as store:
        if raw:
            actor = actor_for(store, "raw", actor)
        segments = document_segments(store, document, raw=raw, actor=actor)
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


# ------------------------------------------------------------------------------------- de-identification

DocumentsOption = Annotated[
    list[str] | None, typer.Option("--documents", help="Only these documents (comma-separated).")
]


@deid_app.command("scan")
def deid_scan(
    documents: DocumentsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines (the default output too).")] = True,
) -> None:
    """Detect identifiers now and print them as JSON lines; nothing is stored (see `qda deid apply`).

    Each line: document, start, end, text, type, pseudonym (the one it has or would get), source, score.
    """
    from toolkit.corpus.identifiers import scan
    from toolkit.corpus.importer import FINDING_IDENTIFIERS

    with open_cli_store() as store, fit_progress(FINDING_IDENTIFIERS) as on_progress:
        rows = scan(store, split_list(documents), on_progress=on_progress)
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False))


@deid_app.command("apply")
def deid_apply(
    documents: DocumentsOption = None,
    actor: Annotated[str, typer.Option(help="Who runs it (audit trail).")] = "system",
) -> None:
    """Detect identifiers and store them: from now on every view shows pseudonyms. Reviewers' decisions stay."""
    from toolkit.corpus.identifiers import apply
    from toolkit.corpus.importer import FINDING_IDENTIFIERS

    with open_cli_store() as store, fit_progress(FINDING_IDENTIFIERS) as on_progress:
        actor = actor_for(store, "identifiers", actor)
        result = apply(store, split_list(documents), actor=actor, on_progress=on_progress)
    for name, counts in result.items():
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "new")
        typer.echo(f"{name}: {counts.get('new', 0)} new; {shown or 'none'}")


@deid_app.command("list")
def deid_list(
    documents: DocumentsOption = None,
    status: Annotated[str | None, typer.Option(help="proposed, confirmed or rejected.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    actor: Annotated[str, typer.Option(help="Who reads them (audit trail).")] = "system",
) -> None:
    """The stored identifiers with their ids, for review (this shows the identifiers themselves: audited)."""
    from toolkit.corpus.identifiers import audit_raw_access, identifier_rows

    with open_cli_store() as store:
        actor = actor_for(store, "identifiers", actor)
        rows = identifier_rows(store, split_list(documents), status)
        audit_raw_access(store, sorted({r["document"] for r in rows}), actor, "identifier review")
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{row['id']:>6} {row['document']:<10} {row['start']:>6}-{row['end']:<6} {row['type']:<13} "
                f"{row['status']:<9} {row['pseudonym']:<14} {row['text']!r}"
            )


IdentifierIds = Annotated[list[int], typer.Argument(help="Identifier ids (`qda deid list`).")]
ReviewerOption = Annotated[str, typer.Option(help="Your name (audit trail).")]


def _review_identifiers(identifiers: list[int], reviewer: str, decision: str) -> None:
    """Confirm or reject several detections, each its own audited decision, as the signed-in reviewer."""
    from toolkit.corpus.identifiers import review

    with open_cli_store() as store:
        reviewer = act_as(store, "identifiers", reviewer)
        for identifier in identifiers:
            review(store, identifier, decision, reviewer)


@deid_app.command("confirm")
def deid_confirm(identifiers: IdentifierIds, reviewer: ReviewerOption) -> None:
    """Confirm detections: they stay replaced, also when the detector runs again."""
    _review_identifiers(identifiers, reviewer, "confirm")
    typer.echo(f"confirmed {len(identifiers)}")


@deid_app.command("reject")
def deid_reject(identifiers: IdentifierIds, reviewer: ReviewerOption) -> None:
    """Reject detections (not an identifier): the text is shown as it is, also after the detector runs again."""
    _review_identifiers(identifiers, reviewer, "reject")
    typer.echo(f"rejected {len(identifiers)}")


@deid_app.command("add")
def deid_add(
    document: str,
    type_: Annotated[
        str,
        typer.Option("--type", help="person, place, organisation, phone, email, date_of_birth, id_number or address."),
    ],
    reviewer: Annotated[str, typer.Option(help="Your name (audit trail).")],
    text: Annotated[str | None, typer.Option(help="Every whole-word occurrence of this text.")] = None,
    start: Annotated[int | None, typer.Option(help="Or one span: start offset.")] = None,
    end: Annotated[int | None, typer.Option(help="Span end offset.")] = None,
) -> None:
    """Add an identifier the detector missed (confirmed at once)."""
    from toolkit.corpus.identifiers import add

    with open_cli_store() as store:
        ids = add(store, document, type_, act_as(store, "identifiers", reviewer), start=start, end=end, text=text)
    typer.echo(f"added {len(ids)} identifier(s): {', '.join(map(str, ids))}")


@deid_app.command("reviewed")
def deid_reviewed(
    document: str,
    reviewer: Annotated[str, typer.Option(help="Your name (audit trail).")],
    undo: Annotated[bool, typer.Option("--undo", help="Clear the flag instead.")] = False,
) -> None:
    """Mark a document "de-identification reviewed" (or clear that with --undo)."""
    from toolkit.corpus.identifiers import mark_reviewed

    with open_cli_store() as store:
        mark_reviewed(store, document, act_as(store, "identifiers", reviewer), not undo)
    typer.echo(f"{document}: de-identification {'not ' if undo else ''}reviewed")


@deid_app.command("status")
def deid_status_cmd(as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False) -> None:
    """Per document: scanned, reviewed, identifiers proposed / confirmed / rejected."""
    from toolkit.corpus.identifiers import deid_status

    with open_cli_store() as store:
        rows = deid_status(store)
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row))
        else:
            typer.echo(
                f"{row['document']:<12} {'scanned' if row['scanned'] else 'NOT SCANNED':<12}"
                f"{'reviewed' if row['reviewed'] else 'not reviewed':<14} proposed {row['proposed']}, "
                f"confirmed {row['confirmed']}, rejected {row['rejected']}"
            )


@deid_app.command("mapping")
def deid_mapping(actor: Annotated[str, typer.Option(help="Who reads it (audit trail).")]) -> None:
    """The pseudonym table: pseudonym, type, the identifier it stands for (reading it is audited)."""
    from toolkit.corpus.identifiers import mapping_rows

    with open_cli_store() as store:
        for row in mapping_rows(store, act_as(store, "identifiers", actor)):
            typer.echo(json.dumps(row, ensure_ascii=False))


# ------------------------------------------------------------------------------------------ participants


@participant_app.command("withdraw")
def participant_withdraw(
    document: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    actor: Annotated[str, typer.Option(help="Who records the withdrawal (audit trail).")] = "system",
) -> None:
    """Remove a participant everywhere, then scrub the store's file.

    Their document, its codings, suggestions, reviews, memos, identifiers, cached embeddings and lemmas,
    and the payloads of audit events about it.
    """
    from toolkit.corpus.withdraw import withdraw

    if not yes and not typer.confirm(
        f"Remove document {document!r} and everything derived from it? This cannot be undone", default=False
    ):
        raise typer.Abort()
    with open_cli_store() as store:
        report = withdraw(store, document, actor_for(store, "identifiers", actor))
    removed = ", ".join(f"{kind} {n}" for kind, n in report.removed.items())
    typer.echo(f"withdrawn {document}: {removed}; audit payloads erased {report.audit_payloads_erased}")
    if report.scrub.get("backend") == "sqlite" and not report.scrub.get("checkpointed"):
        typer.echo(
            "warning: another process was reading the store, so its WAL could not be truncated; close the "
            "dashboard and run `qda participant withdraw` again or `qda db scrub`",
            err=True,
        )
