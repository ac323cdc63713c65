"""Exchange and reports on the sample project: REFI-QDA export/import round trip, tables, HTML and Word report.

Prints times, sizes and whether the round trip kept every coding, code, user and attribute. Builds the demo
store (spaCy segmentation, no suggestions) unless ``--db URL`` names an existing one.

    PYTHONPATH=. python bench/bench_exchange.py [--db sqlite:///demo/demo.sqlite]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from pathlib import Path

from toolkit.analysis.exchange import export_qdc, export_qdpx
from toolkit.analysis.exchange_import import import_qdpx
from toolkit.analysis.frames import load_frames
from toolkit.analysis.tables_export import xlsx_bytes
from toolkit.coding.codings import coding_rows
from toolkit.io.refi_qda import read_qdpx
from toolkit.store.engine import create_store, open_store
from toolkit.studies.demo import build_demo
from toolkit.studies.report_files import report_bytes


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"{label:44} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="An existing store (default: build the demo in a temporary folder).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_exchange_"))
    url = args.db
    if url is None:
        url = f"sqlite:///{work / 'demo.sqlite'}"
        timed("build demo store (spaCy segmentation)", build_demo, url)
    store = open_store(url)
    data, report = timed("export .qdpx", export_qdpx, store)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        sidecar = next(m.file_size for m in members if m.filename == "survivor-qda.json")
    print(f"  archive {len(data):,} bytes ({len(members)} members, {unpacked:,} unpacked; sidecar {sidecar:,})")
    print(f"  {report.counts}")
    qdc, _ = timed("export .qdc", export_qdc, store)
    print(f"  codebook {len(qdc):,} bytes")

    fresh = create_store(f"sqlite:///{work / 'fresh.sqlite'}")
    imported = timed("import .qdpx into an empty store", import_qdpx, fresh, data, "bench.qdpx")
    print(f"  {imported.counts}; skipped {len(imported.skipped)}")
    again, _ = timed("export again", export_qdpx, fresh)
    first, second = read_qdpx(data), read_qdpx(again)
    checks = {
        "users": [(u.guid, u.name) for u in first.users] == [(u.guid, u.name) for u in second.users],
        "codes": first.codes == second.codes,
        "cases (attributes)": first.cases == second.cases,
        "selections and codings": [s.selections for s in first.sources] == [s.selections for s in second.sources],
        "texts": [s.text for s in first.sources] == [s.text for s in second.sources],
        "sidecar": first.sidecar == second.sidecar,
    }
    for what, same in checks.items():
        print(f"  round trip keeps {what:28} {'yes' if same else 'NO'}")
    keys = ("document", "start", "end", "code", "coder", "origin")
    rows_a = sorted(tuple(r[k] for k in keys) for r in coding_rows(store))
    rows_b = sorted(tuple(r[k] for k in keys) for r in coding_rows(fresh))
    print(f"  codings in both stores identical: {rows_a == rows_b} ({len(rows_a)} vs {len(rows_b)})")

    workbook = timed("tables .xlsx", xlsx_bytes, store)
    print(f"  workbook {len(workbook):,} bytes")
    codings, cases = load_frames(store)
    html = timed("report .html (self-contained)", report_bytes, store, codings, cases, "bench", "html")
    print(f"  html {len(html):,} bytes")
    docx = timed("report .docx (matplotlib charts)", report_bytes, store, codings, cases, "bench", "docx")
    print(f"  docx {len(docx):,} bytes")
    fresh.close()
    store.close()
    samples = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "refi_qda"
    for sample in sorted(samples.glob("*.qdpx")):
        target = create_store(f"sqlite:///{work / (sample.stem + '.sqlite')}")
        result = import_qdpx(target, sample)
        print(f"sample {sample.name}: {result.counts}")
        for item in result.skipped:
            print(f"  skipped: {item}")
        target.close()


if __name__ == "__main__":
    main()
