"""Build the demo project from ``sample_data/`` (the synthetic corpus) and print its summary.

Run as ``python -m toolkit.demo --db sqlite:///demo/demo.sqlite``; ``make demo`` does this.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.codebook import load_codebook
from toolkit.codings import import_codings
from toolkit.frames import set_reference_coder
from toolkit.importer import import_files
from toolkit.review import add_coder
from toolkit.status import project_status
from toolkit.store import create_store
from toolkit.suggestions import suggest

__all__ = ["build_demo", "sample_data_dir"]

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLD_CODER = "gold"
REVIEWER = "reviewer"


def sample_data_dir() -> Path:
    """Where the synthetic corpus lives in a source checkout."""
    return REPO_ROOT / "sample_data"


def build_demo(
    db_url: str, data: Path | None = None, codebook: Path | None = None, with_suggestions: bool = False
) -> dict[str, object]:
    """Create a store with the 26 synthetic interviews, their attributes, the codebook and gold codings.

    ``with_suggestions`` also registers a reviewer and runs the suggestion model (embedding the corpus
    once, about half a minute on 2 cores), so that the review queue has work in it.
    """
    data = data or sample_data_dir()
    codebook = codebook or REPO_ROOT / "codebook" / "tip_root_causes.yaml"
    store = create_store(db_url, project_name="Synthetic TIP survivor interviews (demo)")
    try:
        transcripts = sorted(p for p in (data / "transcripts").iterdir() if p.suffix in {".txt", ".docx", ".md"})
        import_files(store, transcripts, attributes=data / "cases.csv", actor="demo")
        load_codebook(store, codebook, actor="demo")
        import_codings(store, data / "gold_codings.jsonl", coder=GOLD_CODER, actor="demo", new_coder=True)
        set_reference_coder(store, GOLD_CODER, actor="demo")
        if with_suggestions:
            add_coder(store, REVIEWER, actor="demo")
            suggest(store, actor="demo")
        return project_status(store)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    """Build the demo store and print its summary."""
    from toolkit.cli import format_status

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the store to create")
    parser.add_argument("--no-suggestions", action="store_true", help="skip the suggestion model")
    args = parser.parse_args(argv)
    info = build_demo(args.db, with_suggestions=not args.no_suggestions)
    print(format_status(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
