"""The ``qda`` command: each command parses options and calls one library function.

The commands live in modules named after the library layer they call (:mod:`toolkit.cli.project`,
:mod:`~toolkit.cli.corpus`, :mod:`~toolkit.cli.coding`, :mod:`~toolkit.cli.suggest`,
:mod:`~toolkit.cli.analysis`); importing them registers them on :data:`toolkit.cli.app.app`.
"""

from __future__ import annotations

from toolkit.cli import (  # noqa: F401  (importing a module registers its commands)
    access,
    analysis,
    coding,
    corpus,
    exchange,
    languages,
    project,
    suggest,
    team,
    workspace,
)
from toolkit.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
