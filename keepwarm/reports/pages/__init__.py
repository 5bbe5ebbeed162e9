"""Each report as a page: its chart, its tables (also its CSV/XLSX downloads) and extras.

A builder takes a Scope and returns a `Page` (pages.page); views render it and exports
write its tables, so the download always holds the figures shown. One module a report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from keepwarm.reports.pages.alerts import alerts_page
from keepwarm.reports.pages.clients import clients_page
from keepwarm.reports.pages.discipline import discipline_page
from keepwarm.reports.pages.fall_offs import fall_offs_page
from keepwarm.reports.pages.network import network_page
from keepwarm.reports.pages.newsletters import newsletters_page
from keepwarm.reports.pages.nps import nps_page
from keepwarm.reports.pages.page import Page
from keepwarm.reports.pages.retention import retention_page


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    default_days: int
    build: Callable[..., Page]


REPORTS = {
    r.slug: r
    for r in (
        Report(
            "retention",
            "Retention",
            "Still in post at 30, 90, 180 and 365 days.",
            730,
            retention_page,
        ),
        Report(
            "fall-offs",
            "Fall-offs and rebates",
            "Who left inside the guarantee, why, and the rebates owed and paid.",
            365,
            fall_offs_page,
        ),
        Report(
            "check-ins",
            "Check-in discipline",
            "Calls and meetings done on time, late or missed.",
            90,
            discipline_page,
        ),
        Report(
            "nps",
            "NPS",
            "Candidates' and clients' Net Promoter Score, with their comments.",
            365,
            nps_page,
        ),
        Report(
            "alerts",
            "Alerts",
            "Raised, closed in time, and whether the next answer improved.",
            365,
            alerts_page,
        ),
        Report(
            "network", "Referrals and leads", "What referrals and leads led to.", 365, network_page
        ),
        Report(
            "newsletters",
            "Newsletter engagement",
            "Per issue: sent, bounced, unsubscribed; opened and clicked where tracked.",
            365,
            newsletters_page,
        ),
        Report(
            "clients",
            "Client health",
            "Hires against targets, answers, repeat business, intel.",
            365,
            clients_page,
        ),
    )
}
