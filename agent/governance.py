"""Ownership and review cadence: who answers for each playbook and policy rule, what is past
its review date, and which playbooks and policies the KPIs say are getting worse.

A journey nobody owns, or that nobody has looked at in months, drifts. The report lists:

- **stewardship**: playbooks, policy rules and the policy pack with no owner, no review date,
  a review date that has passed, or one due soon;
- **rising rates**: playbooks whose repeat-contact rate rose, and policies whose denial rate
  rose, between two equal windows of the decision log. A rise counts when the recent rate's
  Wilson 95% interval lies wholly above the earlier rate, on enough decisions to judge.

Repeat contacts are only known once their window has closed, so those windows end that many
days before ``as_of``; denials are known at once, so those windows end at ``as_of``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.kpis import KpiQuery, KpiReport, Rate
from agent.kpis.report import rate
from agent.playbooks.model import Playbook
from policies import PolicyPack

if TYPE_CHECKING:
    from agent.service import Decider

__all__ = [
    "GovernanceReport",
    "RisingRate",
    "StewardshipIssue",
    "governance_report",
    "rising_rates",
    "stewardship",
]

Problem = Literal["unowned", "no_review_date", "review_overdue", "review_due"]
Subject = Literal["playbook", "policy_rule", "policy_pack"]


class StewardshipIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: Subject = Field(description="playbook, policy_rule or policy_pack.")
    id: str = Field(
        description="The playbook's id@version, the rule's id or the pack's id@version."
    )
    owner: str | None = Field(description="Who answers for it; null when nobody does.")
    review_by: date | None = Field(description="Its review date, if it has one.")
    problem: Problem = Field(
        description="unowned; no_review_date; review_overdue (the date has passed); "
        "review_due (within the due window)."
    )


class RisingRate(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: Literal["playbook", "policy"] = Field(description="playbook or policy.")
    id: str = Field(description="The playbook's id, or the policy's id.")
    owner: str | None = Field(description="Who answers for it.")
    metric: Literal["repeat_contact", "denial"] = Field(
        description="repeat_contact (of its inbound contacts) or denial (decisions with one "
        "of its denials, of all decisions)."
    )
    earlier: Rate = Field(description="The rate in the earlier window.")
    recent: Rate = Field(description="The rate in the recent window.")
    windows: tuple[datetime, datetime, datetime] = Field(
        description="Earlier window start, the boundary, recent window end."
    )


class GovernanceReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: datetime = Field(description="The moment the report was made for.")
    stewardship: list[StewardshipIssue] = Field(
        description="What is unowned, undated, overdue or due; worst first."
    )
    rising: list[RisingRate] = Field(description="Rates that rose, biggest rise first.")


_ORDER: dict[Problem, int] = {
    "unowned": 0,
    "review_overdue": 1,
    "no_review_date": 2,
    "review_due": 3,
}


def _problems(owner: str | None, review_by: date | None, today: date, due: date) -> list[Problem]:
    found: list[Problem] = []
    if not owner:
        found.append("unowned")
    if review_by is None:
        found.append("no_review_date")
    elif review_by < today:
        found.append("review_overdue")
    elif review_by <= due:
        found.append("review_due")
    return found


def stewardship(
    playbooks: list[Playbook], pack: PolicyPack, today: date, *, due_within_days: int = 30
) -> list[StewardshipIssue]:
    """Every playbook, rule and the pack itself that is unowned, undated, overdue or due."""
    due = today + timedelta(days=due_within_days)
    subjects: list[tuple[Subject, str, str | None, date | None]] = [
        ("policy_pack", f"{pack.id}@{pack.version}", pack.owner, pack.review_by),
        *(("policy_rule", r.id, r.owner, r.review_by) for r in pack.rules),
        *(("playbook", p.key, p.owner, p.review_by) for p in playbooks),
    ]
    issues = [
        StewardshipIssue(subject=subject, id=key, owner=owner, review_by=review_by, problem=p)
        for subject, key, owner, review_by in subjects
        for p in _problems(owner, review_by, today, due)
    ]
    return sorted(issues, key=lambda i: (_ORDER[i.problem], i.review_by or date.min, i.id))


def _rose(earlier: Rate, recent: Rate, min_n: int) -> bool:
    if earlier.n < min_n or recent.n < min_n or earlier.value is None:
        return False
    return recent.ci_low is not None and recent.ci_low > earlier.value


def _policy_rates(report: KpiReport) -> dict[str, Rate]:
    decisions = report.overall.decisions
    counts: dict[str, int] = {}
    for denial in report.overall.denials:
        counts[denial.policy_id] = counts.get(denial.policy_id, 0) + denial.decisions
    return {policy: rate(min(k, decisions), decisions) for policy, k in counts.items()}


def rising_rates(
    earlier_repeat: KpiReport,
    recent_repeat: KpiReport,
    earlier_denial: KpiReport,
    recent_denial: KpiReport,
    owners: dict[str, str | None],
    *,
    policy_owner: str | None = None,
    min_n: int = 20,
) -> list[RisingRate]:
    """Playbooks whose repeat-contact rate rose (reports grouped by playbook), and policies
    whose denial rate rose, from the KPIs of two windows each. A policy that is not a rule
    of its own is one of the pack's built-in guards: ``policy_owner`` answers for it."""
    rising: list[RisingRate] = []
    before = {g.key: g.repeat_contact for g in earlier_repeat.groups}
    for group in recent_repeat.groups:
        earlier = before.get(group.key)
        if earlier is not None and _rose(earlier, group.repeat_contact, min_n):
            rising.append(
                RisingRate(
                    subject="playbook",
                    id=group.key,
                    owner=owners.get(group.key),
                    metric="repeat_contact",
                    earlier=earlier,
                    recent=group.repeat_contact,
                    windows=(earlier_repeat.since, recent_repeat.since, recent_repeat.until),
                )
            )
    denied_before = _policy_rates(earlier_denial)
    for policy, recent in _policy_rates(recent_denial).items():
        earlier = denied_before.get(policy, rate(0, earlier_denial.overall.decisions))
        if _rose(earlier, recent, min_n):
            rising.append(
                RisingRate(
                    subject="policy",
                    id=policy,
                    owner=owners.get(policy, policy_owner),
                    metric="denial",
                    earlier=earlier,
                    recent=recent,
                    windows=(earlier_denial.since, recent_denial.since, recent_denial.until),
                )
            )
    return sorted(rising, key=lambda r: -((r.recent.value or 0.0) - (r.earlier.value or 0.0)))


async def governance_report(
    decider: Decider,
    as_of: datetime,
    *,
    window_days: int = 30,
    due_within_days: int = 30,
    min_n: int = 20,
) -> GovernanceReport:
    """The stewardship list and the rising rates, as of ``as_of``."""
    deps = decider.deps
    playbooks = await decider.list_playbooks()
    pack = deps.pack
    window = timedelta(days=window_days)

    async def kpis(until: datetime, group_by: str) -> KpiReport:
        query = KpiQuery.model_validate(
            {"since": until - window, "until": until, "group_by": group_by}
        )
        return await decider.kpis(query)

    settled = as_of - timedelta(days=deps.config.outcomes.repeat_contact_days)
    owners: dict[str, str | None] = {p.id: p.owner for p in playbooks}
    owners.update({r.id: r.owner for r in pack.rules})
    rising = rising_rates(
        await kpis(settled - window, "playbook"),
        await kpis(settled, "playbook"),
        await kpis(as_of - window, "journey"),
        await kpis(as_of, "journey"),
        owners,
        policy_owner=pack.owner,
        min_n=min_n,
    )
    return GovernanceReport(
        as_of=as_of,
        stewardship=stewardship(playbooks, pack, as_of.date(), due_within_days=due_within_days),
        rising=rising,
    )
