"""Figures of the QDA queries: the matrix query as a heatmap with its counts in the cells.

A cell's ``customdata`` follows :data:`toolkit.analysis.plots.CUSTOMDATA_FIELDS` (code, attribute, value,
count, share, n), the fields :func:`toolkit.analysis.plots.drill_target` reads, so a click handler can
open :func:`toolkit.analysis.queries.matrix_cell_quotes` for it. (The Queries page opens a cell with two
choosers: a click on a heatmap cell did not register in the headless-browser check.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["matrix_heatmap"]


def matrix_heatmap(
    counts: pd.DataFrame, totals: pd.Series, attribute: str, names: dict[str, str], what: str = "interviews"
) -> go.Figure:
    """Codes (rows) x attribute values (columns), the count written in each cell.

    A cell or group size left empty by small-number protection (None) is drawn blank and written "-":
    the reader sees that a number is withheld, not that it is zero.
    """
    values = [str(v) for v in counts.columns]
    codes = [str(c) for c in counts.index]
    cells = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    sizes = pd.to_numeric(totals.reindex(counts.columns), errors="coerce").to_numpy(dtype=float)

    def number(x: float) -> int | None:
        return None if np.isnan(x) else int(x)

    customdata = [
        [
            [
                code,
                attribute,
                value,
                number(cells[i, j]),
                cells[i, j] / sizes[j] if np.isfinite(cells[i, j]) and sizes[j] > 0 else None,
                number(sizes[j]),
            ]
            for j, value in enumerate(values)
        ]
        for i, code in enumerate(codes)
    ]
    text = [["-" if np.isnan(x) else str(int(x)) for x in row] for row in cells]
    figure = go.Figure(
        go.Heatmap(
            z=cells,
            x=[f"{v} (n={'-' if np.isnan(n) else int(n)})" for v, n in zip(values, sizes, strict=True)],
            y=[names.get(c, c) for c in codes],
            customdata=customdata,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate=f"%{{y}}<br>{attribute}: %{{x}}<br>{what}: %{{text}}<extra></extra>",
            showscale=False,
        )
    )
    figure.update_layout(height=max(300, 28 * len(codes) + 120), margin={"l": 10, "r": 10, "t": 30, "b": 10})
    figure.update_yaxes(autorange="reversed")
    return figure
