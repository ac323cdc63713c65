"""Warm render time of every dashboard page, on the sample project and on one N times larger.

Usage: python bench/bench_dashboard.py [--scale 100]
Each page is rendered headless with Streamlit's AppTest twice; the second (warm: caches filled) run is
timed. The larger project copies the sample's documents, segments, attributes and codings N times under
new names (a store of 2,600 interviews at the default scale).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from toolkit.store.engine import open_store
from toolkit.store.models import Coding, Document, Segment
from toolkit.studies.demo import build_demo
from toolkit.ui.harness import PAGE_FUNCTIONS, page_script


def render_times(url: str) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    times = {}
    for page in sorted(PAGE_FUNCTIONS):
        app = AppTest.from_function(page_script, args=(page, url), default_timeout=300)
        app.run()
        t0 = time.perf_counter()
        app.run()
        times[page] = time.perf_counter() - t0
        if app.exception:
            raise RuntimeError(f"{page}: {app.exception[0].value}")
    return times


def scale_store(url: str, factor: int) -> None:
    """Add factor-1 copies of every document (with segments and codings) under new names."""
    store = open_store(url)
    with store.transaction(actor="bench") as tx:
        docs = list(tx.session.scalars(select(Document).order_by(Document.id)))
        codings = list(tx.session.scalars(select(Coding)))
        for copy in range(1, factor):
            for doc in docs:
                new = Document(
                    project_id=doc.project_id,
                    name=f"{doc.name}-x{copy:03d}",
                    source_path="",
                    sha256=f"{doc.sha256[:56]}{copy:08d}",
                    encoding=doc.encoding,
                    text=doc.text,
                    attributes=dict(doc.attributes),
                )
                tx.session.add(new)
                tx.session.flush()
                seg_map = {}
                for seg in doc.segments:
                    result = tx.session.execute(
                        insert(Segment).returning(Segment.id),
                        [
                            {
                                "document_id": new.id,
                                "position": seg.position,
                                "role": seg.role,
                                "speaker_label": seg.speaker_label,
                                "timestamp": seg.timestamp,
                                "start": seg.start,
                                "end": seg.end,
                                "text": seg.text,
                            }
                        ],
                    )
                    seg_map[seg.id] = result.scalar_one()
                rows = [
                    {
                        "document_id": new.id,
                        "segment_id": seg_map.get(c.segment_id),
                        "code_id": c.code_id,
                        "coder_id": c.coder_id,
                        "start": c.start,
                        "end": c.end,
                        "origin": c.origin,
                    }
                    for c in codings
                    if c.document_id == doc.id
                ]
                if rows:
                    tx.session.execute(insert(Coding), rows)
    store.close()


def report(label: str, times: dict[str, float]) -> None:
    worst = max(times, key=times.get)
    print(
        f"{label}: warm render mean {statistics.mean(times.values()):.2f} s, "
        f"max {times[worst]:.2f} s ({worst}); "
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    for page, seconds in times.items():
        print(f"    {page:18} {seconds:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = f"sqlite:///{Path(tmp) / 'small.sqlite'}"
        build_demo(small)
        report("sample project (26 interviews)", render_times(small))
        if args.scale > 1:
            big = f"sqlite:///{Path(tmp) / 'big.sqlite'}"
            build_demo(big)
            t0 = time.perf_counter()
            scale_store(big, args.scale)
            print(f"\nbuilt the x{args.scale} project in {time.perf_counter() - t0:.1f} s")
            report(f"x{args.scale} project ({26 * args.scale} interviews)", render_times(big))


if __name__ == "__main__":
    main()
