"""The ``qda`` command: each command parses options and calls one library function.

Errors a user can act on (:class:`toolkit.errors.ToolkitError`) print one line to stderr and exit 2;
the store is left as it was, because every library call writes in one transaction.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from toolkit.errors import ToolkitError
from toolkit.limits import mask_url
from toolkit.store import Store, default_db_url, open_store

try:  # typer >= 0.24 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on click itself
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # type: ignore[no-redef]

__all__ = ["app", "main"]

NEW_CODER_HELP = "Register the coder now if unknown (otherwise an unknown name is an error, so a typo never codes)."



def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _OneLineErrors(TyperGroup):
    """The one error handler of the ``qda`` command: every failure is one line on stderr.

    Usage errors (unknown option, value out of range, not one of the choices) and
    :class:`~toolkit.errors.ToolkitError` exit 2; database errors exit 2 without their parameters
    (transcript text) or the URL's password; anything else is a bug: exit 1 with its type, and the
    traceback only when ``QDA_DEBUG=1`` (a traceback can print data).
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code: int = 0
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except NoArgsIsHelpError as exc:
            exc.show()
            code = 0
        except ClickException as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if isinstance(exc, UsageError) and exc.ctx else ""
            typer.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
            code = 2
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            code = 1
        except ToolkitError as exc:
            typer.echo(f"error: {_one_line(str(exc))}", err=True)
            code = 2
        except SQLAlchemyError as exc:
            if os.environ.get("QDA_DEBUG") == "1":
                raise
            detail = _one_line(str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0])
            typer.echo(f"error: [E900] the database refused the command ({mask_url(detail)}); nothing stored", err=True)
            code = 2
        except Exception as exc:
            if os.environ.get("QDA_DEBUG") == "1":
                raise
            typer.echo(
                f"error: internal error ({type(exc).__name__}); the failed step stored nothing. This is a bug: "
                "run again with QDA_DEBUG=1 to see the traceback",
                err=True,
            )
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=_OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="survivor-qda: offline qualitative analysis.",
)
codebook_app = typer.Typer(no_args_is_help=True, help="Load and list codebooks.")
codings_app = typer.Typer(no_args_is_help=True, help="Import and export codings.")
attributes_app = typer.Typer(no_args_is_help=True, help="Case attributes (one row per document).")
app.add_typer(codebook_app, name="codebook")
app.add_typer(codings_app, name="codings")
app.add_typer(attributes_app, name="attributes")
db_app = typer.Typer(no_args_is_help=True, help="The store's schema: which revision it is at, and upgrading it.")
app.add_typer(db_app, name="db")



class _State:
    db_url: str = ""


STATE = _State()


@contextmanager
def _store() -> Iterator[Store]:
    """The store named by --db or QDA_DB, closed (WAL folded in) when the command ends."""
    store = open_store(STATE.db_url or default_db_url())
    try:
        yield store
    finally:
        store.close()


@app.callback()
def _global(
    db: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the store (default: $QDA_DB).")] = None,
) -> None:
    """Options for every command."""
    STATE.db_url = db or default_db_url()


@app.command()
def init(name: Annotated[str, typer.Option(help="Name of the study.")] = "study") -> None:
    """Create a new store (SQLite file or an empty database)."""
    from toolkit.store import create_store

    store = create_store(STATE.db_url, project_name=name)
    typer.echo(f"store ready: {store.url}")


@db_app.command("current")
def db_current() -> None:
    """Print the store's schema revision and the one this release reads."""
    from toolkit.store import store_revision

    found, head = store_revision(STATE.db_url or default_db_url())
    state = "up to date" if found == head else "run `qda db upgrade`"
    typer.echo(f"store revision {found}; this survivor-qda reads {head} ({state})")


@db_app.command("upgrade")
def db_upgrade(
    backup: Annotated[bool, typer.Option(help="Copy an SQLite store to a timestamped backup first.")] = True,
) -> None:
    """Upgrade the store's schema to this release (every study made by an earlier release opens again)."""
    from toolkit.store import upgrade_store

    report = upgrade_store(STATE.db_url or default_db_url(), backup=backup)
    if report.before == report.after:
        typer.echo(f"store already at revision {report.after}; nothing to do")
        return
    if report.backup is not None:
        typer.echo(f"backup: {report.backup}")
    typer.echo(f"upgraded the store from revision {report.before} to {report.after}")


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Transcripts: .txt, .md or .docx.")],
    attributes: Annotated[Path | None, typer.Option(help="CSV of case attributes, one row per document.")] = None,
    replace: Annotated[bool, typer.Option(help="Update changed documents, keeping unchanged codings.")] = False,
    interviewer_label: Annotated[list[str] | None, typer.Option(help="Label of the interviewer.")] = None,
    respondent_label: Annotated[list[str] | None, typer.Option(help="Label of the respondent.")] = None,
    label_regex: Annotated[str | None, typer.Option(help="Turn regex with a named group 'label'.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force a text encoding, e.g. cp1251.")] = None,
) -> None:
    """Import transcripts: segment them into turns and sentences, all in one transaction."""
    from toolkit.importer import import_files
    from toolkit.io.transcripts import RoleOverrides

    overrides = RoleOverrides(tuple(interviewer_label or ()), tuple(respondent_label or ()), label_regex)
    with _store() as store:
        report = import_files(
            store, files, replace=replace, overrides=overrides, encoding=encoding, attributes=attributes
        )
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"imported {len(report.imported)} document(s), {report.segments} segments; "
        f"unchanged {len(report.unchanged)}; replaced {len(report.replaced)}"
    )
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
    from toolkit.attributes import import_attributes

    with _store() as store:
        count = import_attributes(store, file)
    typer.echo(f"attributes set for {count} document(s)")


@codebook_app.command("load")
def codebook_load(file: Path) -> None:
    """Validate a YAML codebook and load (or update) its codes."""
    from toolkit.codebook import load_codebook

    with _store() as store:
        spec = load_codebook(store, file)
    for warning in spec.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"codebook {spec.id} v{spec.version}: {len(spec.codes)} codes")


@codebook_app.command("list")
def codebook_list() -> None:
    """List the codes in the store."""
    from toolkit.codebook import list_codes

    with _store() as store:
        codes = list_codes(store)
    for code in codes:
        typer.echo(f"{code.id:32} {code.colour}  {code.name}")


@codings_app.command("import")
def codings_import(
    file: Path,
    coder: Annotated[str, typer.Option(help="Name of the coder whose work this is.")],
    new_coder: Annotated[bool, typer.Option(help=NEW_CODER_HELP)] = False,
) -> None:
    """Import codings from JSONL or CSV rows {document, quote | segment, codes}.

    The coder must exist (`qda coders add NAME`) unless --new-coder registers them.
    """
    from toolkit.codings import import_codings

    with _store() as store:
        report = import_codings(store, file, coder, new_coder=new_coder)
    typer.echo(f"{report.rows} rows: {report.added} codings added, {report.already_present} already present")


@codings_app.command("export")
def codings_export(
    fmt: Annotated[Literal["csv", "jsonl"], typer.Option("--format", help="File format.")] = "csv",
    coder: Annotated[list[str] | None, typer.Option(help="Only these coders.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export codings with document, segment, offsets, quote, code, coder and origin.

    In blind mode only your own codings are exported: name yourself with a single --coder.
    """
    from toolkit.codings import export_codings

    with _store() as store:
        text = export_codings(store, fmt, coder)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        sys.stdout.write(text)


@app.command()
def show(
    document: str, as_json: Annotated[bool, typer.Option("--json", help="One JSON object per segment.")] = False
) -> None:
    """Print a document's segments: position, role, speaker, timestamp, offsets, text."""
    from toolkit.status import document_segments

    with _store() as store:
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
    from toolkit.status import format_status, project_status

    with _store() as store:
        info = project_status(store)
    if as_json:
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    typer.echo(format_status(info))


def _split(values: list[str] | None) -> list[str] | None:
    """Accept both repeated options and comma-separated lists."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@app.command("suggest")
def suggest_cmd(
    documents: Annotated[list[str] | None, typer.Option(help="Only these documents (names, comma-separated).")] = None,
    codebook: Annotated[str | None, typer.Option(help="Only codes of this codebook id.")] = None,
    coder: Annotated[list[str] | None, typer.Option(help="Learn only from these coders (default: all people).")] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Suggest codes at or above this probability.")
    ] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the stored suggestions as JSON lines.")] = False,
    model: Annotated[
        str | None, typer.Option(help="A sentence-transformers directory or installed model package.")
    ] = None,
) -> None:
    """Suggest codes for every respondent turn, learning from the codings and reviews so far."""
    from toolkit.suggest import SuggestConfig
    from toolkit.suggestions import suggest, suggestion_rows

    names = _split(documents)
    with _store() as store:
        report = suggest(
            store,
            names,
            codebook,
            _split(coder),
            embedder=model,
            config=SuggestConfig(threshold=threshold),
            progress=not as_json,
        )
        rows = suggestion_rows(store, names) if as_json else []
    summary = (
        f"{report.suggestions} suggestions for {report.segments_scored} respondent turns; "
        f"few-shot codes {len(report.few_shot_codes)}, zero-shot codes {len(report.zero_shot_codes)} "
        f"(learned from {report.labelled_segments} labelled turns; {report.newly_embedded} texts embedded)"
    )
    typer.echo(summary, err=as_json)
    keys = ("document", "position", "start", "end", "quote", "code", "probability")
    for row in rows:
        typer.echo(json.dumps({k: row[k] for k in keys}, ensure_ascii=False))


@app.command("evaluate")
def evaluate_cmd(
    gold_coder: Annotated[str, typer.Option(help="The coder whose codings are the reference.")],
    mode: Annotated[
        Literal["cross-validated", "zero-shot", "stored"],
        typer.Option(help="Leave-one-interview-out, codebook only, or the stored suggestions."),
    ] = "cross-validated",
    codebook: Annotated[str | None, typer.Option(help="Only codes of this codebook id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare suggestions with a coder's codings: per-code precision, recall, F1, support, kappa."""
    from toolkit.evaluate import evaluate

    with _store() as store:
        report = evaluate(store, gold_coder, mode, codebook)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"mode {report['mode']}, gold coder {report['gold_coder']}: {report['n_segments']} respondent turns")
    typer.echo(f"{'code':30} {'prec':>6} {'rec':>6} {'F1':>6} {'kappa':>6} {'support':>8}")
    for code, m in report["per_code"].items():
        typer.echo(
            f"{code:30} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['kappa']:6.3f} {m['support']:8d}"
        )
    typer.echo(
        f"micro P {report['micro_precision']:.3f} R {report['micro_recall']:.3f} F1 {report['micro_f1']:.3f}; "
        f"macro P {report['macro_precision']:.3f} R {report['macro_recall']:.3f} F1 {report['macro_f1']:.3f}"
    )


coders_app = typer.Typer(no_args_is_help=True, help="Named coders (people; the model is 'model').")
memo_app = typer.Typer(no_args_is_help=True, help="Memos on codes, documents and codings.")
consensus_app = typer.Typer(no_args_is_help=True, help="Record what a consensus meeting agreed.")
app.add_typer(coders_app, name="coders")
app.add_typer(memo_app, name="memo")
app.add_typer(consensus_app, name="consensus")


@coders_app.command("add")
def coders_add(name: str) -> None:
    """Register a coder."""
    from toolkit.review import add_coder

    with _store() as store:
        add_coder(store, name)
    typer.echo(f"coder {name} added")


@coders_app.command("list")
def coders_list() -> None:
    """List coders."""
    with _store() as store:
        from toolkit.status import project_status

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
    from toolkit.review import add_coding

    with _store() as store:
        coding_id = add_coding(store, coder, document, start, end, code, new_coder=new_coder)
    typer.echo(f"coding {coding_id}: {code} on {document} {start}-{end}")


@app.command("uncode")
def uncode_cmd(coding_id: int, coder: Annotated[str, typer.Option(help="Owner of the coding.")]) -> None:
    """Remove one of your codings."""
    from toolkit.review import remove_coding

    with _store() as store:
        remove_coding(store, coder, coding_id)
    typer.echo(f"coding {coding_id} removed")


@app.command("recode")
def recode_cmd(coding_id: int, code: str, coder: Annotated[str, typer.Option(help="Owner of the coding.")]) -> None:
    """Change the code of one of your codings."""
    from toolkit.review import recode

    with _store() as store:
        recode(store, coder, coding_id, code)
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
    from toolkit.review import add_memo

    targets = [(k, v) for k, v in (("code", code), ("document", document), ("coding", coding)) if v is not None]
    if len(targets) != 1:
        raise ToolkitError("name exactly one of --code, --document, --coding")
    with _store() as store:
        memo_id = add_memo(store, coder, targets[0][0], targets[0][1], text)
    typer.echo(f"memo {memo_id} saved")


@memo_app.command("list")
def memo_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List memos."""
    from toolkit.review import list_memos

    with _store() as store:
        memos = list_memos(store)
    for memo in memos:
        typer.echo(
            json.dumps(memo) if as_json else f"[{memo['target_type']} {memo['target']}] {memo['coder']}: {memo['text']}"
        )


@app.command("blind")
def blind_cmd(state: Annotated[Literal["on", "off"], typer.Argument(help="on or off")]) -> None:
    """Blind coding: coders see only their own codings until agreement is computed."""
    from toolkit.review import set_blind

    if state not in ("on", "off"):
        raise ToolkitError("say `qda blind on` or `qda blind off`")
    with _store() as store:
        set_blind(store, state == "on")
    typer.echo(f"blind mode {state}")


def _show_suggestion(context: dict[str, Any]) -> None:
    typer.echo("-" * 72)
    typer.echo(f"suggestion {context['id']}: {context['code']} ({context['code_name']}) p={context['probability']:.2f}")
    typer.echo(f"{context['document']} turn {context['segment']['position']}")
    for turn in context["before"]:
        typer.echo(f"    {turn['speaker'] or turn['role']}: {turn['text'][:300]}")
    typer.echo(f">>> {context['segment']['speaker'] or 'R'}: {context['segment']['text']}")
    for turn in context["after"]:
        typer.echo(f"    {turn['speaker'] or turn['role']}: {turn['text'][:300]}")
    from toolkit.review import explanation_lines

    lines = explanation_lines(context["explanation"])
    typer.echo(f"why ({lines[0]}")
    for line in lines[1:]:
        typer.echo(f"    {line}")


@app.command("review")
def review_cmd(
    coder: Annotated[str, typer.Option(help="The reviewer.")],
    order: Annotated[
        Literal["uncertainty", "document"], typer.Option(help="uncertainty (teaches the model most) or document.")
    ] = "uncertainty",
    documents: Annotated[list[str] | None, typer.Option(help="Only these documents.")] = None,
) -> None:
    """Review suggestions one at a time: a accept, r reject, c change code, s adjust span, u undo, q quit."""
    from toolkit.review import AlreadyDecidedError, decide, suggestion_context, undo_last
    from toolkit.suggestions import review_queue

    decided = 0
    with _store() as store:
        skipped: set[int] = set()
        while True:
            queue = [r for r in review_queue(store, order, _split(documents)) if r["id"] not in skipped]
            if not queue:
                typer.echo("no open suggestions left")
                break
            context = suggestion_context(store, queue[0]["id"])
            _show_suggestion(context)
            key = typer.prompt("[a]ccept [r]eject [c]hange [s]pan [u]ndo [n]ext [q]uit", default="q").strip().lower()
            try:
                if key == "q":
                    break
                if key == "n":
                    skipped.add(context["id"])
                elif key == "a":
                    decide(store, coder, context["id"], "accept")
                elif key == "r":
                    decide(store, coder, context["id"], "reject")
                elif key == "c":
                    new_code = typer.prompt("new code id").strip()
                    decide(store, coder, context["id"], "change", new_code=new_code)
                elif key == "s":
                    start = int(typer.prompt("start", default=str(context["start"])))
                    end = int(typer.prompt("end", default=str(context["end"])))
                    decide(store, coder, context["id"], "adjust", start=start, end=end)
                elif key == "u":
                    undone = undo_last(store, coder)
                    typer.echo("undone" if undone else "nothing to undo")
                    continue
                else:
                    typer.echo(f"unknown key {key!r}")
                    continue
            except AlreadyDecidedError as exc:
                typer.echo(str(exc))
                skipped.add(context["id"])
                continue
            except ToolkitError as exc:
                typer.echo(f"error: {exc}")
                continue
            if key != "n":
                decided += 1
    typer.echo(f"{decided} decision(s) recorded")


@app.command("audit")
def audit_cmd(
    document: Annotated[str | None, typer.Option(help="Only events about this document.")] = None,
    coder: Annotated[str | None, typer.Option(help="Only events by this person.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the audit trail: who did what, when, before and after."""
    from toolkit.review import audit_trail

    with _store() as store:
        events = audit_trail(store, document, coder)
    for event in events:
        if as_json:
            typer.echo(json.dumps(event, ensure_ascii=False))
        else:
            typer.echo(
                f"{event['at'][:19]} {event['actor']:<10} {event['action']:<20} {event['entity']} {event['entity_id']}"
                f" before={json.dumps(event['before'], ensure_ascii=False)[:80]}"
                f" after={json.dumps(event['after'], ensure_ascii=False)[:80]}"
            )


@app.command("agreement")
def agreement_cmd(
    coders: Annotated[list[str] | None, typer.Option(help="Coders to compare (comma-separated); 'model' too.")] = None,
    codes: Annotated[list[str] | None, typer.Option(help="Only these codes.")] = None,
    unit: Annotated[Literal["respondent", "all"], typer.Option(help="respondent turns or all turns.")] = "respondent",
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="The model's suggestions count at or above this.")
    ] = 0.5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Inter-coder agreement per code and overall: percent agreement, Cohen's kappa, Krippendorff's alpha."""
    from toolkit.agreement_store import compute_agreement

    with _store() as store:
        table = compute_agreement(store, _split(coders), _split(codes), unit, threshold)
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
    from toolkit.agreement_store import disagreement_rows, disagreements_csv

    with _store() as store:
        rows = disagreement_rows(store, _split(coders), _split(codes))
    text = disagreements_csv(rows)
    if output:
        output.write_text(text, encoding="utf-8")
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
    from toolkit.agreement_store import record_consensus
    from toolkit.io.tables import read_rows

    display, rows = read_rows(file, kind="csv")
    with _store() as store:
        added = record_consensus(store, [row for _, row in rows], source=display, agreed_from=_split(agreed_from))
    typer.echo(f"consensus: {added} codings recorded")


@app.command("report")
def report_cmd(
    coder: Annotated[
        str | None, typer.Option(help="Whose codings count: a coder name, 'all', or 'accepted' (suggestions).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The headline findings computed from codings and case attributes (shares are fractions).

    Without --coder the project's reference coder counts (`qda reference NAME`); the output says whose
    codings it counts and why.
    """
    from toolkit.analysis import report
    from toolkit.frames import DEFAULT_CODER, CoderChoice, choose_coder, load_frames
    from toolkit.model import MODEL_ORIGINS

    with _store() as store:
        if coder == "accepted":
            codings, cases = load_frames(store, None, origins=list(MODEL_ORIGINS))
            choice = CoderChoice(None, "accepted suggestions, any reviewer, as asked")
            label = "accepted suggestions (any reviewer)"
        else:
            choice = choose_coder(store, None if coder == "all" else (coder or DEFAULT_CODER))
            codings, cases = load_frames(store, choice.coder)
            label = choice.label
    result = report(codings, cases, label)
    result["coder_reason"] = choice.reason
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{result['n_interviews']} interviews; counting {label} ({choice.reason})")
    for key in ("heard_of_tip_share", "signed_documents", "received_share_of_signed", "checked_employer_share"):
        typer.echo(f"  {key}: {result.get(key)}")
    typer.echo(f"  recruitment: {result.get('recruitment_counts')}")


@app.command("reference")
def reference_cmd(
    coder: Annotated[str | None, typer.Argument(help="The coder whose codings reports count by default.")] = None,
    clear: Annotated[bool, typer.Option(help="Choose no reference coder (reports then pool everyone).")] = False,
) -> None:
    """Show or choose the reference coder: whose codings `qda report` and the dashboard count by default."""
    from toolkit.frames import choose_coder, set_reference_coder

    with _store() as store:
        if clear or coder:
            set_reference_coder(store, None if clear else coder)
        choice = choose_coder(store)
    typer.echo(f"counting {choice.describe()}")


@app.command("demo")
def demo_cmd(
    data: Annotated[
        Path | None, typer.Option(help="The sample corpus folder (default: sample_data/ of the source checkout).")
    ] = None,
    suggestions: Annotated[bool, typer.Option(help="Also run the suggestion model for a reviewer.")] = True,
) -> None:
    """Build the demo project from the synthetic sample corpus into the (new, empty) store named by --db."""
    from toolkit.demo import build_demo
    from toolkit.status import format_status

    info = build_demo(STATE.db_url or default_db_url(), data=data, with_suggestions=suggestions)
    typer.echo(format_status(info))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
