"""Language detection on labelled turns: English, Russian, Belarusian, and Russian with Belarusian words.

Usage: python bench/bench_language.py

Each respondent and interviewer turn of ``sample_data/be/transcripts`` (B01 Belarusian, B02 Russian with a
few Belarusian words, B03 Russian questions with answers now in Belarusian, now in Russian) is labelled in
``sample_data/be/turn_languages.csv`` by its author; the first two respondent turns of every English and
Russian sample interview (``sample_data/transcripts``, ``sample_data/ru/transcripts``) are labelled by
their corpus. The script prints the confusion table of :func:`toolkit.corpus.language.detect_language`
per turn ("short": under 20 letters, too few to tell, so the importer's default or the document's
language applies), and the whole-document guess (with the "mixed" second language) of the three Belarusian-sample
documents. Nothing is tuned on these figures.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from toolkit.corpus.language import detect_language
from toolkit.io.transcripts import parse_turns, read_transcript

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
LABELS = ("en", "ru", "be")


def labelled_turns() -> list[tuple[str, str, str]]:
    """(where, gold language, text) of every labelled turn."""
    out = []
    with (SAMPLE / "be" / "turn_languages.csv").open(encoding="utf-8") as handle:
        gold = {(r["document"], int(r["turn"])): r["language"] for r in csv.DictReader(handle)}
    for path in sorted((SAMPLE / "be" / "transcripts").glob("*.txt")):
        transcript = read_transcript(path)
        turns, _ = parse_turns(transcript.text)
        for i, turn in enumerate(turns):
            if (transcript.name, i) in gold:
                out.append(
                    (f"{transcript.name}#{i}", gold[(transcript.name, i)], transcript.text[turn.start : turn.end])
                )
    for folder, language in ((SAMPLE / "transcripts", "en"), (SAMPLE / "ru" / "transcripts", "ru")):
        for path in sorted(folder.iterdir()):
            transcript = read_transcript(path)
            turns, _ = parse_turns(transcript.text)
            answers = [t for t in turns if t.role == "respondent"][:2]
            out += [(f"{transcript.name}#{language}", language, transcript.text[t.start : t.end]) for t in answers]
    return out


def confusion(rows: list[tuple[str, str, str]]) -> tuple[Counter[tuple[str, str]], list[str]]:
    """Counts of (gold, detected) and the misdetected turns."""
    table: Counter[tuple[str, str]] = Counter()
    wrong = []
    for where, gold, text in rows:
        guess = detect_language(text)
        detected = guess.language if guess.confidence else "short"  # fewer letters than MIN_LETTERS: the default
        table[(gold, detected)] += 1
        if detected != gold:
            wrong.append(f"  {where}: {gold} detected as {detected}: {text[:70]!r}")
    return table, wrong


def main() -> None:
    rows = labelled_turns()
    table, wrong = confusion(rows)
    print(f"{len(rows)} labelled turns; rows = gold, columns = detected")
    print(f"{'':>6}" + "".join(f"{lang:>6}" for lang in (*LABELS, "short")))
    for gold in LABELS:
        print(f"{gold:>6}" + "".join(f"{table[(gold, d)]:>6}" for d in (*LABELS, "short")))
    correct = sum(table[(g, g)] for g in LABELS)
    short = sum(table[(g, "short")] for g in LABELS)
    print(
        f"accuracy {correct / len(rows):.3f} ({correct / max(1, len(rows) - short):.3f} of the {len(rows) - short} "
        "turns long enough to tell)"
    )
    print("\n".join(wrong) or "  (no turn misdetected)")
    print("\nwhole documents:")
    for path in sorted((SAMPLE / "be" / "transcripts").glob("*.txt")):
        guess = detect_language(read_transcript(path).text)
        print(f"  {path.stem}: {guess.language} (mixed with: {guess.secondary or '-'}), confidence {guess.confidence}")


if __name__ == "__main__":
    main()
