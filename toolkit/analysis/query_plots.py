"""Figures of the QDA queries: the matrix query as a heatmap with its counts in the cells.

A cell's ``customdata`` follows :data:`toolkit.analysis.plots.CUSTOMDATA_FIELDS` (code, attribute, value,
count, share, n), the fields :func:`toolkit.analysis.plots.drill_target` reads, so a click handler can
open :func:`toolkit.analysis.queries.matrix_cell_quotes` for it. (The Queries page opens a cell with two
choosers: a click on a heatmap cell did not register in the headless-browser check.)
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

__all__ = ["matrix_heatmap"]


def matrix_heatmap(
    counts: pd.DataFrame, totals: pd.Series, attribute: str, names: dict[str, str], what: str = "interviews"
) -> go.Figure:
    """Codes (rows) x attribute values (columns), the count written in each cell."""
    values = [str(v) for v in counts.columns]
    codes = [str(c) for c in counts.index]
    cells = counts.to_numpy(dtype=int)
    sizes = [int(n) for n in totals.reindex(counts.columns, fill_value=0).to_numpy(dtype=int)]
    customdata = [
        [
            [code, attribute, value, int(cells[i, j]), int(cells[i, j]) / sizes[j] if sizes[j] else None, sizes[j]]
            for j, value in enumerate(values)
        ]
        for i, code in enumerate(codes)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=counts.to_numpy(),
            x=[f"{v} (n={n})" for v, n in zip(values, sizes, strict=True)],
            y=[names.get(c, c) for c in codes],
            customdata=customdata,
            text=counts.to_numpy(),
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate=f"%{{y}}<br>{attribute}: %{{x}}<br>{what}: %{{z}}<extra></extra>",
            showscale=False,
        )
    )
    figure.update_layout(height=max(300, 28 * len(codes) + 120), margin={"l": 10, "r": 10, "t": 30, "b": 10})
    figure.update_yaxes(autorange="reversed")
    return figure
