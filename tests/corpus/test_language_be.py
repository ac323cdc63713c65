"""Belarusian and mixed Russian/Belarusian transcripts (sample_data/be): detection per turn and import."""

from __future__ import annotations

import importlib.util
from collections import Counter

from toolkit.corpus.importer import import_files
from toolkit.corpus.language import detect_language, paragraph_shares
from toolkit.io.transcripts import read_transcript

from ..conftest import SAMPLE

BE = SAMPLE / "be" / "transcripts"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_language", SAMPLE.parent / "bench" / "bench_language.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_language_be_confusion_on_labelled_turns(capsys):
    """Every labelled turn long enough to tell is detected as its author labelled it; the table is printed."""
    bench = _bench()
    rows = bench.labelled_turns()
    assert Counter(gold for _, gold, _ in rows)["be"] >= 20 and len(rows) >= 60
    table, wrong = bench.confusion(rows)
    with capsys.disabled():
        print("\n" + "\n".join(f"{gold} -> {detected}: {n}" for (gold, detected), n in sorted(table.items())))
    assert not [w for w in wrong if "short" not in w], wrong
    # Russian turns with a Belarusian word ("дзякуй", "хлопец", "бульбу") stay Russian.
    assert table[("ru", "be")] == 0 and table[("be", "ru")] == 0


def test_language_be_documents_mostly_belarusian_russian_with_words_and_mixed():
    guesses = {p.stem: detect_language(read_transcript(p).text) for p in sorted(BE.glob("*.txt"))}
    assert {k: (g.language, g.secondary) for k, g in guesses.items()} == {
        "B01": ("be", None),
        "B02": ("ru", None),  # a few Belarusian words do not make a document mixed
        "B03": ("ru", "be"),  # whole answers in Belarusian do
    }
    assert paragraph_shares(read_transcript(BE / "B02.txt").text).get("be", 0) == 0


def test_language_be_import_segments_and_names_the_model_fix(store, blank_nlp):
    report = import_files(store, sorted(BE.glob("*.txt")), nlp=blank_nlp)
    assert report.languages == {"B01": "be", "B02": "ru", "B03": "ru"}
    assert report.segments >= 3 * 22
    mixed = [w for w in report.warnings if "B03" in w and "mixes" in w]
    assert mixed and "Belarusian" in mixed[0] and "--language" in mixed[0]
    # The default multilingual model was not trained on Belarusian: the warning names the model that was.
    model = [w for w in report.warnings if "B01" in w and "Belarusian" in w and "trained" in w]
    assert model and "qda model set e5-small-multilingual" in model[0]
