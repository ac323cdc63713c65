"""The ``qda`` application object, its one error handler and what every command shares.

Errors a user can act on (:class:`toolkit.errors.ToolkitError`) print one line to stderr and exit 2;
the store is left as it was, because every library call writes in one transaction. The store URL travels
in typer's context object (``ctx.obj``), not in a module global, so two invocations in one process (tests,
a notebook calling the app) never see each other's ``--db``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from toolkit.errors import ToolkitError
from toolkit.store.engine import Store, default_db_url, open_store
from toolkit.store.limits import mask_url

try:  # typer >= 0.24 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer on click itself
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # type: ignore[assignment]
    from click.globals import get_current_context  # type: ignore[no-redef,unused-ignore]

__all__ = [
    "NEW_CODER_HELP",
    "CliOptions",
    "RawActorOption",
    "RawOption",
    "app",
    "attributes_app",
    "codebook_app",
    "coders_app",
    "codings_app",
    "consensus_app",
    "db_app",
    "db_url",
    "deid_app",
    "memo_app",
    "open_cli_store",
    "participant_app",
    "split_list",
    "users_app",
]

RawOption = Annotated[
    bool, typer.Option("--raw", help="The original text, not de-identified (recorded in the audit trail).")
]
RawActorOption = Annotated[str, typer.Option("--actor", help="Who asks for raw text (for the audit trail).")]

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
db_app = typer.Typer(no_args_is_help=True, help="The store's schema: which revision it is at, and upgrading it.")
coders_app = typer.Typer(no_args_is_help=True, help="Named coders (people; the model is 'model').")
memo_app = typer.Typer(no_args_is_help=True, help="Memos on codes, documents and codings.")
consensus_app = typer.Typer(no_args_is_help=True, help="Record what a consensus meeting agreed.")
deid_app = typer.Typer(
    no_args_is_help=True, help="De-identification: detect identifiers, review them, replace them by pseudonyms."
)
users_app = typer.Typer(
    no_args_is_help=True, help="Users who sign in, and their roles (viewer, coder, reviewer, admin): docs/access.md."
)
participant_app = typer.Typer(no_args_is_help=True, help="Participants' rights: withdraw a participant everywhere.")
for _name, _group in (
    ("deid", deid_app),
    ("participant", participant_app),
    ("codebook", codebook_app),
    ("codings", codings_app),
    ("attributes", attributes_app),
    ("db", db_app),
    ("coders", coders_app),
    ("memo", memo_app),
    ("consensus", consensus_app),
    ("users", users_app),
):
    app.add_typer(_group, name=_name)


@dataclass
class CliOptions:
    """What the global options set, kept in ``ctx.obj`` for the commands below them."""

    db_url: str


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the store (default: $QDA_DB).")] = None,
    db_key_prompt: Annotated[
        bool,
        typer.Option(
            "--db-key-prompt", help="Ask for the key of an encrypted store (instead of $QDA_DB_KEY); not echoed."
        ),
    ] = False,
) -> None:
    """Options for every command."""
    ctx.obj = CliOptions(db_url=db or default_db_url())
    if db_key_prompt:
        from toolkit.store.engine import KEY_ENV

        # For this process (and a dashboard it starts) only: the key is never written anywhere.
        os.environ[KEY_ENV] = typer.prompt("key of the store", hide_input=True, err=True)


def db_url() -> str:
    """The store URL of the running command: --db, else $QDA_DB, else the default file."""
    options = get_current_context().find_object(CliOptions)
    return options.db_url if options else default_db_url()


@contextmanager
def open_cli_store() -> Iterator[Store]:
    """The store named by --db or QDA_DB, closed (WAL folded in) when the command ends."""
    store = open_store(db_url())
    try:
        yield store
    finally:
        store.close()


def split_list(values: list[str] | None) -> list[str] | None:
    """Accept both repeated options and comma-separated lists."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def progress_wanted() -> bool:
    """Whether to draw progress bars: when stderr is a terminal, unless ``QDA_PROGRESS`` says otherwise.

    Why: a bar is for a person watching. In a pipe or a log file it would only add label lines, and a refused
    input would no longer answer with the one ``error:`` line scripts rely on. ``QDA_PROGRESS=1`` draws them
    anyway (tests, ``script`` logs), ``QDA_PROGRESS=0`` never.
    """
    setting = os.environ.get("QDA_PROGRESS", "").strip().lower()
    if setting in ("1", "true", "yes", "on"):
        return True
    if setting in ("0", "false", "no", "off"):
        return False
    return sys.stderr.isatty()


@contextmanager
def step_progress(shown: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars on stderr fed ``(step, done, total)``: one bar per step, closed when it is full.

    Why: stdout stays the command's report (or its JSON) alone, a step that ends in under a second still shows
    where the time went, and a line printed between steps does not land inside a bar. A repeated report of a
    step already full is ignored; an empty step (total 0) shows nothing; nothing at all unless
    :func:`progress_wanted`.
    """
    shown = shown and progress_wanted()
    current: list[tuple[str, ExitStack, Any]] = []
    finished: set[str] = set()

    def close() -> None:
        if current:
            current.pop()[1].close()

    def report(step: str, done: int, total: int) -> None:
        if not shown or total <= 0 or (step in finished and done >= total):
            return
        if not current or current[0][0] != step:
            close()
            finished.discard(step)
            bar_stack = ExitStack()
            bar = bar_stack.enter_context(typer.progressbar(length=total, label=step, file=sys.stderr))
            current.append((step, bar_stack, bar))
        bar = current[0][2]
        bar.update(done - bar.pos)
        if done >= total:
            finished.add(step)
            close()

    try:
        yield report
    finally:
        close()


@contextmanager
def fit_progress(label: str, shown: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr fed ``(done, total)`` as fits end; it starts at the first report.

    Why: ``qda evaluate`` and ``qda estimate`` fit one model per held-out interview (per order and size for the
    learning curve), a minute to several on a few dozen interviews; stdout stays the report (or the JSON) alone.
    """
    with step_progress(shown) as report:
        yield lambda done, total: report(label, done, total)
