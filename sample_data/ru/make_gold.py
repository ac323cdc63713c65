"""Write ``gold_codings.jsonl`` and ``cases.csv`` for the Russian translations from the English files.

Each Russian transcript is a turn-by-turn translation of the English one, so its n-th respondent turn
carries the codes of the English n-th respondent turn. The script refuses a transcript whose number of
respondent turns differs from the English one. Usage: ``python sample_data/ru/make_gold.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from toolkit.io.transcripts import parse_turns, read_transcript

HERE = Path(__file__).resolve().parent
ENGLISH = HERE.parent / "gold_codings.jsonl"


def main() -> int:
    """Align, check and write; print one line per document."""
    english: dict[str, list[list[str]]] = {}
    for line in ENGLISH.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        english.setdefault(row["document"], []).append(row["codes"])
    out, bad = [], 0
    for path in sorted((HERE / "transcripts").glob("S*.txt")):
        transcript = read_transcript(path)
        turns, _ = parse_turns(transcript.text)
        answers = [transcript.text[t.start : t.end] for t in turns if t.role == "respondent"]
        codes = english[transcript.name]
        status = "ok" if len(answers) == len(codes) else f"MISMATCH (English {len(codes)})"
        bad += status != "ok"
        print(f"{transcript.name}: {len(answers)} respondent turns {status}")
        out += [{"document": transcript.name, "quote": q, "codes": c} for q, c in zip(answers, codes, strict=False)]
    if bad:
        return 1
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in out)
    (HERE / "gold_codings.jsonl").write_text(text, encoding="utf-8")
    names = {row["document"] for row in out}
    lines = (HERE.parent / "cases.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cases = [lines[0], *(line for line in lines[1:] if line.split(",", 1)[0] in names)]
    (HERE / "cases.csv").write_text("".join(cases), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
