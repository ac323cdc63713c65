"""Streamlit pages as functions; they read widgets, call one toolkit function and render what it returns.

Only this package and ``app.py`` import Streamlit.
"""

from __future__ import annotations

__all__: list[str] = []
