"""Write a :class:`~toolkit.studies.report_doc.Report` as self-contained HTML or as Word (.docx).

HTML carries Plotly's JavaScript inline and a Content-Security-Policy that allows no network request, so
the file opens offline and never calls a CDN. Word gets each chart as a PNG drawn by matplotlib from the
same figure data (Plotly's static export needs kaleido and a browser; matplotlib runs anywhere offline),
keeping the title, the axis titles, the n in the title and the whole legend.
"""

from __future__ import annotations

import html
import io
import math
import re
import textwrap
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from toolkit.studies.report_doc import Report, ReportChart

__all__ = ["figure_png", "render_docx", "render_html"]

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'"
)
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
.view{border:1px solid #ccc;padding:1em;background:#f7f7f7;page-break-after:always}
.note{color:#444;font-size:.92em}
blockquote{margin:.3em 0 .6em 1.2em;padding-left:.8em;border-left:3px solid #bbb;color:#333}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}
details{margin:.5em 0 1.5em}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _quotes_html(chart: ReportChart) -> str:
    if not chart.quotes:
        return ""
    parts = [f"<details><summary>Quotes behind these numbers ({len(chart.quotes)} numbers)</summary>"]
    for label, shown, total in chart.quotes:
        parts.append(f"<p><strong>{_e(label)}</strong> <span class='note'>({len(shown)} of {total} quotes)</span></p>")
        for quote in shown:
            parts.append(f"<blockquote>{_e(quote['quote'])}<br><span class='note'>{_e(quote['document'])}, turn "
                         f"{_e(quote['segment'])}</span></blockquote>")  # fmt: skip
    parts.append("</details>")
    return "\n".join(parts)


def render_html(report: Report) -> str:
    """One HTML file that opens offline: Plotly inline, every text escaped, no external resource."""
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{_e(report.title)}</title><style>{_STYLE}</style>",
        f"<script>{get_plotlyjs()}</script></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        "<div class='view'><h2>What this report counts</h2><ul>",
        *(f"<li>{_e(line)}</li>" for line in report.view),
        "</ul></div>",
    ]
    index = 0
    for section in report.sections:
        out.append(f"<section><h2>{_e(section.heading)}</h2>")
        out.extend(f"<p>{_e(p)}</p>" for p in section.paragraphs)
        for chart in section.charts:
            index += 1
            out.append(f"<figure class='chart' id='figure-{index}'>")
            out.append(
                pio.to_html(
                    chart.figure,
                    full_html=False,
                    include_plotlyjs=False,
                    div_id=f"chart-{index}",
                    config={"displaylogo": False, "responsive": True},
                )
            )
            out.append(f"<figcaption class='note'>{_e(chart.note)}</figcaption></figure>")
            out.append(_quotes_html(chart))
        if section.table:
            head, *rows = section.table
            out.append("<table><thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in head) + "</tr></thead><tbody>")
            out.extend("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
            out.append("</tbody></table>")
        out.append("</section>")
    out.append(f"<p class='note'>Made with survivor-qda on {_e(report.created)}.</p></body></html>")
    return "\n".join(out)


def _colours(marker_color: Any, count: int) -> Any:
    if marker_color is None:
        return None
    if isinstance(marker_color, str):
        return marker_color
    colours = list(marker_color)
    return colours if len(colours) == count else None


def _text(value: Any) -> str:
    """Plotly's title markup as plain text: line breaks kept, tags dropped, entities decoded."""
    if value is None:
        return ""
    plain = re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", str(value)))
    return html.unescape(plain)


def figure_png(figure: go.Figure, width: float = 8.0, height: float = 4.8) -> bytes:
    """The figure's bars, funnel or heatmap drawn by matplotlib, with title, axis titles and legend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    canvas = Figure(figsize=(width, height), dpi=110)
    ax = canvas.subplots()
    bars = [t for t in figure.data if t.type in ("bar", "funnel")]
    heat = [t for t in figure.data if t.type == "heatmap"]
    horizontal = bool(bars) and (bars[0].orientation == "h" or bars[0].type == "funnel")
    if heat:
        trace = heat[0]
        image = ax.imshow(trace.z, cmap="Blues", aspect="auto")
        ax.set_xticks(range(len(trace.x)), [_text(x) for x in trace.x], rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(trace.y)), [_text(y) for y in trace.y], fontsize=7)
        canvas.colorbar(image, ax=ax)
    elif horizontal:
        trace = bars[0]
        labels = [_text(y) for y in trace.y]
        values = _numbers(trace.x)
        ax.barh(range(len(values)), values, color=_colours(trace.marker.color, len(values)))
        ax.set_yticks(range(len(values)), labels, fontsize=8)
        ax.invert_yaxis()
        for i, value in enumerate(values):
            if math.isnan(value):  # a hidden small number: no bar, no label
                continue
            ax.annotate(f"{value:.0%}" if _is_share(figure, "x") else f"{value:g}", (value, i), fontsize=7,
                        xytext=(3, 0), textcoords="offset points", va="center")  # fmt: skip
    elif bars:
        categories: list[str] = []
        for trace in bars:
            categories.extend(_text(x) for x in trace.x if _text(x) not in categories)
        width_each = 0.8 / len(bars)
        for i, trace in enumerate(bars):
            xs = [categories.index(_text(x)) + (i - (len(bars) - 1) / 2) * width_each for x in trace.x]
            ax.bar(xs, _numbers(trace.y), width_each, label=_text(trace.name) or None,
                   color=_colours(trace.marker.color, len(xs)))  # fmt: skip
        ax.set_xticks(range(len(categories)), categories, rotation=20 if len(categories) > 4 else 0, fontsize=8)
        if len(bars) > 1:
            ax.legend(fontsize=7, title=_text(figure.layout.legend.title.text) or None, loc="upper left",
                      bbox_to_anchor=(1.01, 1.0), borderaxespad=0)  # fmt: skip
    for axis, setter in (("x", ax.xaxis), ("y", ax.yaxis)):
        if _is_share(figure, axis):
            setter.set_major_formatter(PercentFormatter(1.0))
    head, *scope = _text(figure.layout.title.text).split("\n")
    ax.set_title("\n".join([head, *textwrap.wrap(" ".join(scope), 100)]), fontsize=9)
    ax.set_xlabel(_text(figure.layout.xaxis.title.text), fontsize=8)
    ax.set_ylabel(_text(figure.layout.yaxis.title.text), fontsize=8)
    canvas.tight_layout()
    buffer = io.BytesIO()
    canvas.savefig(buffer, format="png")
    return buffer.getvalue()


def _numbers(values: Any) -> list[float]:
    """Bar values for matplotlib: a hidden cell (None, small-number suppression) becomes NaN, drawn as no bar."""
    return [float("nan") if v is None else float(v) for v in values]


def _is_share(figure: go.Figure, axis: str) -> bool:
    layout_axis = figure.layout.xaxis if axis == "x" else figure.layout.yaxis
    return str(layout_axis.tickformat or "").endswith("%")


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: Any) -> str:
    """Word's XML cannot hold C0 control characters; they become a visible replacement mark."""
    return _XML_ILLEGAL.sub("\ufffd", str(text))


def render_docx(report: Report, on_progress: Callable[[int, int], None] | None = None) -> bytes:
    """A Word document: the view on the first page, then each section with its charts as images.

    ``on_progress(done, total)`` at the start and after each chart is drawn (about 0.17 s each with
    matplotlib, 17 charts for the sample study: most of the file's time).
    """
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Inches

    report_chart = on_progress or (lambda done, total: None)
    charts_total = sum(len(section.charts) for section in report.sections)
    charts_done = 0
    report_chart(0, charts_total)

    document = Document()
    document.core_properties.title = _clean(report.title)[:250]
    document.add_heading(_clean(report.title), level=0)
    document.add_heading("What this report counts", level=1)
    for line in report.view:
        document.add_paragraph(_clean(line), style="List Bullet")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for section in report.sections:
        document.add_heading(_clean(section.heading), level=1)
        for paragraph in section.paragraphs:
            document.add_paragraph(_clean(paragraph))
        for chart in section.charts:
            document.add_heading(_clean(chart.title), level=2)
            document.add_picture(io.BytesIO(figure_png(chart.figure)), width=Inches(6))
            charts_done += 1
            report_chart(charts_done, charts_total)
            document.add_paragraph(_clean(chart.note))
            for label, shown, total in chart.quotes:
                document.add_paragraph().add_run(_clean(f"{label} ({len(shown)} of {total} quotes)")).bold = True
                for quote in shown:
                    document.add_paragraph(_clean(f"{quote['quote']} ({quote['document']}, turn {quote['segment']})"),
                                           style="Quote")  # fmt: skip
        if section.table:
            head, *rows = section.table
            table = document.add_table(rows=1, cols=len(head))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, head, strict=True):
                cell.text = _clean(text)
            for row in rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = _clean(text)
    document.add_paragraph(f"Made with survivor-qda on {report.created}.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
