"""Commands about the store itself: create it, its schema, the demo project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.app import app, db_app, db_url, open_cli_store, step_progress


@app.command()
def init(name: Annotated[str, typer.Option(help="Name of the study.")] = "study") -> None:
    """Create a new store (SQLite file or an empty database)."""
    from toolkit.store.engine import create_store

    store = create_store(db_url(), project_name=name)
    encrypted = store.engine.url.drivername == "sqlite+pysqlcipher"
    typer.echo(f"store ready: {store.url}" + (" (encrypted with SQLCipher; keep its key safe)" if encrypted else ""))


@db_app.command("current")
def db_current() -> None:
    """Print the store's schema revision and the one this release reads."""
    from toolkit.store.engine import store_revision

    found, head = store_revision(db_url())
    state = "up to date" if found == head else "run `qda db upgrade`"
    typer.echo(f"store revision {found}; this survivor-qda reads {head} ({state})")


@db_app.command("upgrade")
def db_upgrade(
    backup: Annotated[bool, typer.Option(help="Copy an SQLite store to a timestamped backup first.")] = True,
) -> None:
    """Upgrade the store's schema to this release (every study made by an earlier release opens again)."""
    from toolkit.store.engine import upgrade_store

    report = upgrade_store(db_url(), backup=backup)
    if report.before == report.after:
        typer.echo(f"store already at revision {report.after}; nothing to do")
        return
    if report.backup is not None:
        typer.echo(f"backup: {report.backup}")
    typer.echo(f"upgraded the store from revision {report.before} to {report.after}")


@app.command("demo")
def demo_cmd(
    data: Annotated[
        Path | None, typer.Option(help="The sample corpus folder (default: sample_data/ of the source checkout).")
    ] = None,
    suggestions: Annotated[bool, typer.Option(help="Also run the suggestion model for a reviewer.")] = True,
) -> None:
    """Build the demo project from the synthetic sample corpus into the (new, empty) store named by --db."""
    from toolkit.analysis.status import format_status
    from toolkit.studies.demo import build_demo

    with step_progress() as on_progress:
        info = build_demo(
            db_url(),
            data=data,
            with_suggestions=suggestions,
            on_step=lambda what: typer.echo(f"{what} ...", err=True),
            on_progress=on_progress,
        )
    typer.echo(format_status(info))


@db_app.command("scrub")
def db_scrub() -> None:
    """SQLite: fold the WAL into the store, truncate it and VACUUM, so deleted text leaves the files."""
    with open_cli_store() as store:
        result = store.scrub()
    if result.get("backend") != "sqlite":
        typer.echo(f"nothing to do on {result.get('backend')}: run VACUUM FULL on the server to reclaim space")
    elif result.get("checkpointed"):
        typer.echo("scrubbed: WAL checkpointed and truncated, file vacuumed")
    else:
        typer.echo("warning: another process holds the WAL; close it and run `qda db scrub` again", err=True)


@db_app.command("encrypt")
def db_encrypt(
    to: Annotated[str, typer.Option("--to", help="The new SQLite store to write, e.g. sqlite:///encrypted.sqlite.")],
    decrypt: Annotated[
        bool, typer.Option("--decrypt", help="The reverse: copy an encrypted store (key in QDA_DB_KEY) to a plain one.")
    ] = False,
) -> None:
    """Copy the store into a new SQLite file encrypted with the key in QDA_DB_KEY (or --db-key-prompt).

    The store named by --db is read as it is (plain, or with --decrypt encrypted with the key) and is not
    changed; the copy is checked (integrity, schema revision, row counts) before this says so. Then remove
    the old file yourself, securely, once you have checked that the copy opens.
    """
    from sqlalchemy.engine import make_url

    from toolkit.errors import ToolkitError
    from toolkit.store.engine import KEY_ENV, default_db_key, encrypt_copy

    key = default_db_key()
    if not key:
        raise ToolkitError(f"set the key in {KEY_ENV} or pass `qda --db-key-prompt db encrypt ...`")
    target = make_url(to).database
    if make_url(to).get_backend_name() != "sqlite" or not target:
        raise ToolkitError(f"--to must be an SQLite file URL, like sqlite:///encrypted.sqlite (got {to!r})")
    written = encrypt_copy(db_url(), target, key=key if decrypt else None, target_key=None if decrypt else key)
    typer.echo(f"wrote {written} ({'plain' if decrypt else 'encrypted'}); the store at --db is unchanged")
