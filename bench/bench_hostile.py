"""Import cost against the number of turns, and the resource-exhaustion inputs of issue 9 (item 26).

Usage: python bench/bench_hostile.py [--turns 1000 10000 100000] [--profile N] [--exhaustion]
Each size runs in a fresh subprocess (so its peak RSS is its own): write a plain-text transcript of N
short turns, then ``import_files`` it into a new SQLite store with the installed spaCy pipeline (the
turn cap is lifted for the measurement). ``--profile N`` prints the top of a cProfile of one import.
``--exhaustion`` runs each full-size hostile input of item 26 through ``qda`` in a subprocess and prints
its exit code, wall time, peak RSS and message.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_transcript(path: Path, turns: int) -> None:
    lines = []
    for i in range(turns // 2):
        lines.append(f"Q: Question number {i}, where did you go then?")
        lines.append(f"A: I went to town {i}. It was far.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_one(turns: int) -> dict[str, float]:
    import toolkit.io.transcripts as transcripts
    from toolkit.corpus.importer import import_files
    from toolkit.corpus.segment import load_sentence_pipeline
    from toolkit.store.engine import create_store

    transcripts.MAX_TURNS = max(getattr(transcripts, "MAX_TURNS", 0), turns)  # measure past the cap
    load_sentence_pipeline()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"gen{turns}.txt"
        write_transcript(path, turns)
        store = create_store(f"sqlite:///{tmp}/bench.sqlite")
        base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_files(store, [path])
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "turns": turns,
        "segments": report.segments,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak_mb,
        "base_mb": base_mb,
    }


def profile(turns: int) -> None:
    from toolkit.corpus.importer import import_files
    from toolkit.corpus.segment import load_sentence_pipeline
    from toolkit.store.engine import create_store

    load_sentence_pipeline()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"gen{turns}.txt"
        write_transcript(path, turns)
        store = create_store(f"sqlite:///{tmp}/bench.sqlite")
        profiler = cProfile.Profile()
        profiler.enable()
        import_files(store, [path])
        profiler.disable()
        store.close()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


_CLI = (
    "import resource, sys\n"
    "from toolkit.cli.main import app\n"
    "try:\n"
    "    app(sys.argv[1:], standalone_mode=True)\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "else:\n"
    "    code = 0\n"
    "print(f'peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _stream_zip_member(path: Path, member: str, head: bytes, fill: bytes, size: int, tail: bytes) -> None:
    """Add a member of ``size`` bytes to a copy of a valid .docx without holding it in memory."""
    import zipfile

    sys.path.insert(0, str(ROOT))
    from tests.io.hostile import base_docx

    with (
        zipfile.ZipFile(io.BytesIO(base_docx())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            if info.filename != member:
                archive.writestr(info, source.read(info.filename))
        with archive.open(member, "w", force_zip64=True) as out:
            out.write(head)
            chunk = fill * (1024 * 1024 // len(fill))
            written = len(head)
            while written < size:
                out.write(chunk)
                written += len(chunk)
            out.write(tail)


def _exhaustion_cases(tmp: Path) -> list[tuple[str, list[str]]]:
    sys.path.insert(0, str(ROOT))
    from tests.io.hostile import ALIAS_BOMB_TEXT, W_NS, rewrite_docx

    gib = 1024**3
    cases: list[tuple[str, list[str]]] = []
    bomb = tmp / "bomb.docx"
    _stream_zip_member(bomb, "word/extra.xml", b"<a>", b"x", gib, b"</a>")
    cases.append(("docx: an XML part unpacking to 1 GiB", ["import", str(bomb)]))
    turns = tmp / "turns.docx"
    body = "".join(
        f"<w:p><w:r><w:t>Q: q{i}?</w:t></w:r></w:p><w:p><w:r><w:t>A: a{i}.</w:t></w:r></w:p>" for i in range(10)
    )
    _stream_zip_member(
        turns,
        "word/document.xml",
        f'<w:document xmlns:w="{W_NS}"><w:body>'.encode(),
        body.encode(),
        100 * 1024 * 1024,
        b"</w:body></w:document>",
    )
    cases.append(("docx: 100 MiB of turns in an XML part", ["import", str(turns)]))
    image = tmp / "image.docx"
    _stream_zip_member(image, "word/media/image1.png", b"\x89PNG", b"\x00", 2 * gib, b"")
    cases.append(("docx: a 2 GiB image", ["import", str(image)]))
    text = tmp / "short_turns.txt"
    with text.open("w", encoding="utf-8") as out:
        i = 0
        while out.tell() < 40 * 1024 * 1024:
            out.write(f"Q: q{i}?\nA: a{i}.\n")
            i += 1
    cases.append(("txt: 40 MB of short turns", ["import", str(text)]))
    long_turn = tmp / "long_turn.txt"
    line = "It was a long story and I tell it again. " * 24 + "\n"
    long_turn.write_text("Q: Tell me?\nA: " + line * (1_200_000 // len(line)), encoding="utf-8")
    cases.append(("txt: one turn of 1.2 million characters", ["import", str(long_turn)]))
    regex_file = tmp / "regex.txt"
    regex_file.write_text("a" * 40 + "!\nB: y\n", encoding="utf-8")
    cases.append(
        (
            "--label-regex with catastrophic backtracking",
            ["import", str(regex_file), "--label-regex", "^(?P<label>(a|aa)+)$"],
        )
    )
    alias = tmp / "alias.yaml"
    alias.write_text(ALIAS_BOMB_TEXT, encoding="utf-8")
    cases.append(("codebook: YAML alias bomb", ["codebook", "load", str(alias)]))
    jsonl = tmp / "codings.jsonl"
    jsonl.write_text('{"document": "S01", "quote": "' + "x" * (45 * 1024 * 1024) + '"}\n', encoding="utf-8")
    cases.append(("codings: a 45 MB JSONL line", ["codings", "import", str(jsonl), "--coder", "x", "--new-coder"]))
    big = tmp / "big.jsonl"
    big.write_text('{"document": "S01", "quote": "' + "x" * (60 * 1024 * 1024) + '"}\n', encoding="utf-8")
    cases.append(("codings: a 60 MB JSONL line", ["codings", "import", str(big), "--coder", "x", "--new-coder"]))
    cases.append(("docx: flipped bits etc. (see fuzz)", ["import", str(tmp / "x.docx")]))
    (tmp / "x.docx").write_bytes(rewrite_docx(encrypted_flag="word/document.xml"))
    return cases


def exhaustion() -> None:
    """Run each item-26 input at full size through ``qda`` in a subprocess; print exit, time, memory."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        url = f"sqlite:///{tmp}/store.sqlite"
        subprocess.run([sys.executable, "-c", _CLI, "--db", url, "init"], check=True, capture_output=True, cwd=ROOT)
        for label, args in _exhaustion_cases(tmp):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _CLI, "--db", url, *args], capture_output=True, text=True, cwd=ROOT, check=False
            )
            seconds = time.perf_counter() - started
            lines = done.stderr.strip().splitlines()
            peak = next((x.split("=")[1] for x in lines if x.startswith("peak_mb=")), "?")
            message = next((x for x in lines if x.startswith("error:")), lines[0] if lines else done.stdout.strip())
            print(f"{label:<48} exit {done.returncode}  {seconds:6.1f} s  {peak:>5} MB  {message[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--exhaustion", action="store_true")
    args = parser.parse_args()
    if args.exhaustion:
        exhaustion()
        return
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if args.profile:
        profile(args.profile)
        return
    print(f"{'turns':>8} {'segments':>9} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'(after model load)':>19}")
    for turns in args.turns:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(turns)], capture_output=True, text=True, check=True, cwd=ROOT
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{row['turns']:>8,} {row['segments']:>9,} {row['seconds']:>8.2f} {row['cpu']:>8.2f} "
            f"{row['peak_mb']:>8.0f} {row['base_mb']:>19.0f}"
        )


if __name__ == "__main__":
    main()
