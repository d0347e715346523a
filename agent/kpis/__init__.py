"""Journey KPIs: rates with their n and Wilson intervals, by journey, playbook, action type,
channel, segment or mode. ``models`` and ``report`` are pure; ``agent.kpis.store`` holds the
KpiReader Protocol and its SQLite queries."""

from __future__ import annotations

from agent.kpis.models import (
    ApprovalKpi,
    DenialCount,
    GroupBy,
    GroupSums,
    KpiGroup,
    KpiQuery,
    KpiReport,
    Mean,
    MoneyTotal,
    Rate,
)
from agent.kpis.report import NONE_KEY, build_report
from agent.kpis.stats import mean_interval, wilson

__all__ = [
    "NONE_KEY",
    "ApprovalKpi",
    "DenialCount",
    "GroupBy",
    "GroupSums",
    "KpiGroup",
    "KpiQuery",
    "KpiReport",
    "Mean",
    "MoneyTotal",
    "Rate",
    "build_report",
    "mean_interval",
    "wilson",
]
