"""The dashboard's pages, one module per section. Each reads its widgets, calls toolkit functions and renders."""

from __future__ import annotations

from toolkit.ui.pages.agreement import agreement_page
from toolkit.ui.pages.codebook import codebook_page
from toolkit.ui.pages.export import export_page
from toolkit.ui.pages.findings import (
    awareness_page,
    contracts_page,
    overview_page,
    quotes_page,
    recruitment_page,
    root_causes_page,
)
from toolkit.ui.pages.review import review_page
from toolkit.ui.pages.transcript import transcript_page
from toolkit.ui.pages.workspace import queries_page, search_page

__all__ = [
    "agreement_page",
    "awareness_page",
    "codebook_page",
    "contracts_page",
    "export_page",
    "overview_page",
    "queries_page",
    "quotes_page",
    "recruitment_page",
    "review_page",
    "root_causes_page",
    "search_page",
    "transcript_page",
]
