"""The dashboard's pages, one module per section. Each reads its widgets, calls toolkit functions and renders.

Every page function exported here is wrapped by :func:`toolkit.ui.access.needs` with the capability of
:data:`toolkit.ui.access.PAGE_CAPABILITY`: once the store has users, a page draws only for a role that
may open it, however it was reached.
"""

from __future__ import annotations

from toolkit.ui.access import PAGE_CAPABILITY, needs
from toolkit.ui.pages import agreement, codebook, export, findings, review, transcript, users, workspace

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
    "users_page",
]

agreement_page = needs(PAGE_CAPABILITY["agreement_page"])(agreement.agreement_page)
awareness_page = needs(PAGE_CAPABILITY["awareness_page"])(findings.awareness_page)
codebook_page = needs(PAGE_CAPABILITY["codebook_page"])(codebook.codebook_page)
contracts_page = needs(PAGE_CAPABILITY["contracts_page"])(findings.contracts_page)
export_page = needs(PAGE_CAPABILITY["export_page"])(export.export_page)
overview_page = needs(PAGE_CAPABILITY["overview_page"])(findings.overview_page)
queries_page = needs(PAGE_CAPABILITY["queries_page"])(workspace.queries_page)
quotes_page = needs(PAGE_CAPABILITY["quotes_page"])(findings.quotes_page)
recruitment_page = needs(PAGE_CAPABILITY["recruitment_page"])(findings.recruitment_page)
review_page = needs(PAGE_CAPABILITY["review_page"])(review.review_page)
root_causes_page = needs(PAGE_CAPABILITY["root_causes_page"])(findings.root_causes_page)
search_page = needs(PAGE_CAPABILITY["search_page"])(workspace.search_page)
transcript_page = needs(PAGE_CAPABILITY["transcript_page"])(transcript.transcript_page)
users_page = needs(PAGE_CAPABILITY["users_page"])(users.users_page)
