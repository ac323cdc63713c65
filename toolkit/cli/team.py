"""Team mode: move a project between stores (``qda migrate``) and serve the dashboard (``qda serve``)."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.app import app, db_url
from toolkit.errors import ConfigError
from toolkit.store.limits import mask_url

APP_SCRIPT = Path(__file__).resolve().parents[2] / "app.py"


@app.command("migrate")
def migrate_cmd(
    source: Annotated[str, typer.Option("--from", help="URL of the store to copy (e.g. sqlite:///study.sqlite).")],
    target: Annotated[str, typer.Option("--to", help="URL of an empty database (e.g. postgresql://host/study).")],
) -> None:
    """Copy a whole project into an empty database, ids kept, verified by row counts and content hashes."""
    from toolkit.store.transfer import transfer

    report = transfer(source, target)
    typer.echo(f"copied {mask_url(report.source)} -> {mask_url(report.target)} in one transaction")
    width = max(len(t.table) for t in report.tables)
    typer.echo(f"{'table':<{width}}  {'rows':>7}  {'source sha256':<16}  {'target sha256':<16}  check")
    for t in report.tables:
        typer.echo(
            f"{t.table:<{width}}  {t.target_rows:>7}  {t.source_hash[:16]}  {t.target_hash[:16]}  "
            f"{'ok' if t.ok else 'DIFFERS'}"
        )
    typer.echo(f"{report.rows} rows in {len(report.tables)} tables, every count and hash equal")


def is_local(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def users_configured() -> bool:
    """Whether the store named by --db / QDA_DB has users, so that the dashboard asks everyone to sign in.

    Without users ``qda serve`` binds only to this machine; a team reaches it through an SSH tunnel.
    """
    from toolkit.store.engine import open_store
    from toolkit.store.users import users_configured as store_has_users

    store = open_store(db_url())
    try:
        return store_has_users(store)
    finally:
        store.close()


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to bind; only this machine unless users are configured.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the dashboard.")] = 8501,
) -> None:
    """Run the dashboard on the store named by --db / QDA_DB (offline, no usage statistics)."""
    if not is_local(host) and not users_configured():
        raise ConfigError(
            f"refusing to serve on {host}: no users are configured, so anyone who reaches this port could read "
            f"the transcripts; serve on 127.0.0.1 and let each coder use an SSH tunnel "
            f"(ssh -L {port}:127.0.0.1:{port} this-server), or add users first "
            "(`qda users add NAME --role admin`, docs/access.md)"
        )
    if not APP_SCRIPT.exists():
        raise ConfigError(f"the dashboard script {APP_SCRIPT} is missing; run qda serve from a source checkout")
    from toolkit.store.engine import open_store

    open_store(db_url()).close()  # a missing or old store is one line here, not a page of errors in a browser
    env = {
        **os.environ,
        "QDA_DB": db_url(),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_SCRIPT),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    typer.echo(f"dashboard on http://{host}:{port} for {mask_url(db_url())} (Ctrl+C stops it)")
    raise typer.Exit(subprocess.call(command, env=env, cwd=APP_SCRIPT.parent))
