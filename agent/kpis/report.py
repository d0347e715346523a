"""From the sums a store returns per group to the KPI report: rates with their n and Wilson
intervals, means with theirs. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from agent.kpis.models import (
    ApprovalKpi,
    DenialCount,
    GroupSums,
    KpiGroup,
    KpiQuery,
    KpiReport,
    Mean,
    MoneyTotal,
    Rate,
)
from agent.kpis.stats import mean_interval, wilson

__all__ = ["NONE_KEY", "build_report", "percentile"]

NONE_KEY = "(none)"
"""The group of decisions where the grouped value is not set (e.g. no playbook)."""


def rate(k: int, n: int) -> Rate:
    interval = wilson(k, n)
    if interval is None:
        return Rate(k=k, n=n, value=None, ci_low=None, ci_high=None)
    return Rate(k=k, n=n, value=k / n, ci_low=interval[0], ci_high=interval[1])


def mean(total: float, squares: float, n: int) -> Mean:
    found = mean_interval(total, squares, n)
    if found is None:
        return Mean(n=n, value=None, ci_low=None, ci_high=None)
    return Mean(n=n, value=found[0], ci_low=found[1], ci_high=found[2])


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def group(key: str, sums: GroupSums) -> KpiGroup:
    judged = sums.executed + sums.declined + sums.expired
    answered = sums.responded + sums.no_response
    return KpiGroup(
        key=key,
        decisions=sums.decisions,
        execution=rate(sums.executed, judged),
        acceptance=rate(sums.accepted, sums.executed),
        conversion=rate(sums.converted, sums.executed),
        no_response=rate(sums.no_response, answered),
        value=[
            MoneyTotal(currency=currency, amount=Decimal(cents) / 100)
            for currency, cents in sorted(sums.value_cents.items())
        ],
        repeat_contact=rate(sums.repeated, sums.contacts_known),
        first_contact_resolution=rate(sums.contacts_known - sums.repeated, sums.contacts_known),
        transfers_per_contact=mean(sums.transfers, sums.transfers_squared, sums.contacts),
        effort=mean(sums.effort_sum, sums.effort_squares, sums.decisions),
        safe_default=rate(sums.safe_defaults, sums.decisions),
        approval=ApprovalKpi(
            required=rate(sums.approvals, sums.decisions),
            released=len(sums.turnarounds_s),
            turnaround_median_s=percentile(sums.turnarounds_s, 0.5),
            turnaround_p90_s=percentile(sums.turnarounds_s, 0.9),
        ),
        denials=[
            DenialCount(
                policy_id=policy, reason_code=reason, proposals=proposals, decisions=decisions
            )
            for (policy, reason), (proposals, decisions) in sorted(
                sums.denials.items(), key=lambda item: (-item[1][0], item[0])
            )
        ],
    )


def build_report(
    query: KpiQuery, by_group: Mapping[str, GroupSums], *, now: datetime, repeat_contact_days: int
) -> KpiReport:
    overall = GroupSums()
    for sums in by_group.values():
        overall.add(sums)
    groups = sorted(by_group.items(), key=lambda item: (-item[1].decisions, item[0]))
    return KpiReport(
        since=query.since,
        until=query.until,
        as_of=now,
        group_by=query.group_by,
        journey=query.journey,
        kind=query.kind,
        repeat_contact_days=repeat_contact_days,
        overall=group("all", overall),
        groups=[group(key, sums) for key, sums in groups],
    )
