"""Build the demo project from ``sample_data/`` (the synthetic corpus).

``qda --db sqlite:///demo/demo.sqlite demo`` runs it (``make demo`` does, then serves the dashboard).
The corpus lives in the source repository, not in the wheel: an installed toolkit is pointed at a copy
with ``qda demo --data PATH``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toolkit.analysis.frames import set_reference_coder
from toolkit.analysis.status import project_status
from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import import_codings
from toolkit.coding.review import add_coder
from toolkit.corpus.importer import import_files
from toolkit.errors import InputFileError
from toolkit.store.engine import create_store
from toolkit.suggest.suggestions import SUGGESTING, suggest

__all__ = ["build_demo", "sample_data_dir"]

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLD_CODER = "gold"
REVIEWER = "reviewer"


def sample_data_dir() -> Path:
    """Where the synthetic corpus lives in a source checkout."""
    return REPO_ROOT / "sample_data"


def build_demo(
    db_url: str,
    data: Path | None = None,
    codebook: Path | None = None,
    with_suggestions: bool = False,
    on_step: Callable[[str], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, object]:
    """Create a store with the 26 synthetic interviews, their attributes, the codebook and gold codings.

    ``with_suggestions`` also registers a reviewer and runs the suggestion model (embedding the corpus
    once, about half a minute on 2 cores), so that the review queue has work in it. ``on_step(what)`` names
    each step as it starts (the whole build takes about 35 s on 2 cores; the CLI prints them);
    ``on_progress(step, done, total)`` reports the import's documents (:func:`~toolkit.corpus.importer.import_files`)
    and the suggestion step's per cent.
    """

    def step(what: str) -> None:
        if on_step is not None:
            on_step(what)

    data = Path(data) if data is not None else sample_data_dir()
    codebook = codebook or REPO_ROOT / "codebook" / "tip_root_causes.yaml"
    missing = [p for p in (data / "transcripts", data / "cases.csv", data / "gold_codings.jsonl") if not p.exists()]
    if missing or not codebook.exists():
        raise InputFileError(
            "the sample corpus is not here (it ships in the source repository, not in the package); "
            "pass its folder with `qda demo --data PATH`",
            file=str(missing[0] if missing else codebook),
        )
    store = create_store(db_url, project_name="Synthetic TIP survivor interviews (demo)")
    try:
        transcripts = sorted(p for p in (data / "transcripts").iterdir() if p.suffix in {".txt", ".docx", ".md"})
        step(f"importing {len(transcripts)} transcripts (segmenting, de-identifying)")
        import_files(store, transcripts, attributes=data / "cases.csv", actor="demo", on_progress=on_progress)
        step("loading the codebook and the gold codings")
        load_codebook(store, codebook, actor="demo")
        import_codings(store, data / "gold_codings.jsonl", coder=GOLD_CODER, actor="demo", new_coder=True)
        set_reference_coder(store, GOLD_CODER, actor="demo")
        if with_suggestions:
            step("suggesting codes (the corpus is embedded once)")
            add_coder(store, REVIEWER, actor="demo")
            percent = on_progress or (lambda _name, _done, _total: None)
            suggest(store, actor="demo", on_progress=lambda share, _: percent(SUGGESTING, round(100 * share), 100))
        return project_status(store)
    finally:
        store.close()
