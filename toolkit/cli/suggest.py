"""Commands of the suggestion model: suggest, evaluate, and the review queue."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import typer

from toolkit.cli.access import act_as, sign_in
from toolkit.cli.app import app, fit_progress, open_cli_store, progress_wanted, split_list
from toolkit.errors import ToolkitError


@app.command("suggest")
def suggest_cmd(
    documents: Annotated[list[str] | None, typer.Option(help="Only these documents (names, comma-separated).")] = None,
    codebook: Annotated[str | None, typer.Option(help="Only codes of this codebook id.")] = None,
    coder: Annotated[list[str] | None, typer.Option(help="Learn only from these coders (default: all people).")] = None,
    threshold: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Suggest codes at or above this probability (the codebook's own pick for a turn from 0.3 up to it "
            "while its code has few coded turns).",
        ),
    ] = 0.4,  # SuggestConfig().threshold (not imported here: the CLI starts without scikit-learn)
    as_json: Annotated[bool, typer.Option("--json", help="Also print the stored suggestions as JSON lines.")] = False,
    model: Annotated[
        str | None,
        typer.Option(
            help="use-multilingual, e5-small-multilingual, a sentence-transformers directory or installed model "
            "package; default: the project's (qda model show)."
        ),
    ] = None,
) -> None:
    """Suggest codes for every respondent turn, learning from the codings and reviews so far."""
    from toolkit.suggest.estimator import SuggestConfig
    from toolkit.suggest.suggestions import SUGGESTING, suggest, suggestion_rows

    names = split_list(documents)
    with open_cli_store() as store, fit_progress(SUGGESTING, shown=not as_json) as percent:
        sign_in(store, "review")
        report = suggest(
            store,
            names,
            codebook,
            split_list(coder),
            embedder=model,
            config=SuggestConfig(threshold=threshold),
            on_progress=lambda share, _step: percent(round(100 * share), 100),
        )
        rows = suggestion_rows(store, names) if as_json else []
    summary = (
        f"{report.suggestions} suggestions for {report.segments_scored} respondent turns; "
        f"few-shot codes {len(report.few_shot_codes)}, zero-shot codes {len(report.zero_shot_codes)} "
        f"(learned from {report.labelled_segments} labelled turns; {report.newly_embedded} texts embedded)"
    )
    if report.evidence_weight is not None:  # how far the classifiers lean on the codebook, as this fit chose
        summary += f"; codebook evidence weighted {report.evidence_weight:g} in the learnt features"
    if report.carry_weight is not None:  # follow-up answers keep their topic, as far as the coded ones showed
        summary += f"; a follow-up answer carries the topic before it (weight {report.carry_weight:.2g})"
    typer.echo(summary, err=as_json)
    if report.unfamiliar_note():
        typer.echo(report.unfamiliar_note(), err=as_json)
    keys = ("document", "position", "start", "end", "quote", "code", "probability")
    for row in rows:
        typer.echo(json.dumps({k: row[k] for k in keys}, ensure_ascii=False))


@app.command("evaluate")
def evaluate_cmd(
    gold_coder: Annotated[str, typer.Option(help="The coder whose codings are the reference.")],
    mode: Annotated[
        Literal["nested", "cross-validated", "zero-shot", "stored", "learning-curve"],
        typer.Option(
            help="Leave-one-interview-out with settings chosen inside the training folds (nested), the same with "
            "default settings, codebook only, the stored suggestions, or scores after 0 (the codebook alone), 1, 2, "
            "4 ... coded interviews."
        ),
    ] = "nested",
    codebook: Annotated[str | None, typer.Option(help="Only codes of this codebook id.")] = None,
    orders: Annotated[int, typer.Option(min=1, max=50, help="Learning curve: random orders per point.")] = 5,
    folds: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="Cross-validated mode: hold out this many groups of interviews in turn instead of one interview at "
            "a time (one fit per group; for projects with many interviews).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare suggestions with a coder's codings: per-code precision, recall, F1, support, kappa."""
    from toolkit.suggest.evaluate import evaluate

    label = {"nested": "held-out interviews", "learning-curve": "coded-interview counts x orders"}
    with open_cli_store() as store, fit_progress(label.get(mode, "folds"), shown=not as_json) as on_progress:
        report = evaluate(
            store,
            gold_coder,
            mode,
            codebook,
            orders=orders,
            folds=folds,
            on_progress=on_progress,
            progress=not as_json and progress_wanted(),  # the embedding model's own bar: the same rule as ours
        )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    if mode == "learning-curve":
        _show_learning_curve(report)
        return
    split = f", {report['folds']} interview folds" if "folds" in report else ""
    typer.echo(
        f"mode {report['mode']}{split}, gold coder {report['gold_coder']}: {report['n_segments']} respondent turns"
    )
    confidence = f"{report['interval']['confidence']:.0%}"
    interval_head = f"F1 {confidence} interval"
    typer.echo(f"{'code':30} {'prec':>6} {'rec':>6} {'F1':>6} {interval_head:>16} {'kappa':>6} {'support':>8}")
    for code, m in report["per_code"].items():
        typer.echo(
            f"{code:30} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {_interval(m['f1_interval']):>16} "
            f"{m['kappa']:6.3f} {m['support']:8d}"
        )
    typer.echo(
        f"micro P {report['micro_precision']:.3f} R {report['micro_recall']:.3f} F1 {report['micro_f1']:.3f} "
        f"{_interval(report['micro_f1_interval'])}; "
        f"macro P {report['macro_precision']:.3f} R {report['macro_recall']:.3f} F1 {report['macro_f1']:.3f}"
    )
    typer.echo(
        f"intervals: {confidence}, resampling the {report['interval']['interviews']} interviews "
        f"({report['interval']['resamples']} resamples); a code with few coded turns has a wide one"
    )
    for setting in report.get("chosen_settings", []):
        typer.echo(
            f"chosen inside the training folds: C {setting['C']}, codebook prior {setting['prior_strength']}, "
            f"threshold {setting['threshold']} ({setting['folds']} folds)"
        )


def _interval(bounds: list[float] | None) -> str:
    from toolkit.suggest.report import interval_text

    return "n/a" if bounds is None else f"[{interval_text(bounds)}]"


def _show_learning_curve(curve: dict[str, Any]) -> None:
    typer.echo(
        f"learning curve, gold coder {curve['gold_coder']}: {curve['documents']} interviews, "
        f"{curve['orders']} random orders (mean [min-max]) on the interviews not yet coded"
    )
    typer.echo(f"{'coded':>5}  {'micro-F1':>18}  {'macro-F1':>18}  {'precision':>18}  {'recall':>18}  {'right':>18}")
    for p in curve["points"]:
        cells = [
            f"{p[m]['mean']:.3f} [{p[m]['min']:.2f}-{p[m]['max']:.2f}]"
            for m in ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "decisions_right")
        ]
        typer.echo(f"{p['coded_interviews']:>5}  " + "  ".join(f"{c:>18}" for c in cells))
    typer.echo("right = share of the remaining turns whose suggested codes are exactly the coder's (none included)")
    if "reading" in curve:
        from toolkit.suggest.learning_curve import reading_sentence

        typer.echo(reading_sentence(curve["reading"]))


def _show_suggestion(context: dict[str, Any]) -> None:
    typer.echo("-" * 72)
    typer.echo(f"suggestion {context['id']}: {context['code']} ({context['code_name']}) p={context['probability']:.2f}")
    typer.echo(f"{context['document']} turn {context['segment']['position']}")
    for turn in context["before"]:
        typer.echo(f"    {turn['speaker'] or turn['role']}: {turn['text'][:300]}")
    typer.echo(f">>> {context['segment']['speaker'] or 'R'}: {context['segment']['text']}")
    for turn in context["after"]:
        typer.echo(f"    {turn['speaker'] or turn['role']}: {turn['text'][:300]}")
    already = context.get("codes_on_turn") or []
    typer.echo(
        "already on this turn: "
        + ("; ".join(f"{c['code']} ({', '.join(c['coders'])})" for c in already) if already else "nothing")
    )
    from toolkit.coding.review import explanation_lines

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
    from toolkit.coding.review import AlreadyDecidedError, decide, suggestion_context, undo_last
    from toolkit.suggest.suggestions import review_queue

    decided = 0
    with open_cli_store() as store:
        coder = act_as(store, "review", coder)
        skipped: set[int] = set()
        while True:
            queue = [r for r in review_queue(store, order, split_list(documents)) if r["id"] not in skipped]
            if not queue:
                typer.echo("no open suggestions left")
                break
            context = suggestion_context(store, queue[0]["id"], reviewer=coder)
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
