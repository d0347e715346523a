"""Ownership and review cadence: what is unowned, undated, overdue or due, worst first; and the
playbooks and policies whose rates rose, judged on their intervals and on enough data."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.demo import demo_now, seed
from agent.governance import rising_rates, stewardship
from agent.kpis import KpiQuery, KpiReport
from agent.kpis.models import GroupSums
from agent.kpis.report import build_report
from agent.playbooks.model import Playbook
from agent.service import Decider
from api.cli import app
from api.settings import Settings
from policies import PolicyPack

TODAY = date(2026, 11, 20)
END = datetime(2026, 11, 20, tzinfo=UTC)


def _playbook(pid: str, review_by: date | None) -> Playbook:
    return Playbook.model_validate(
        {
            "id": pid,
            "version": 2,
            "title": f"Playbook {pid}",
            "journey": "tech_support",
            "intents": ["app_crash"],
            "owner": "tech-cx@northwind.example",
            "review_by": review_by,
            "actions": [{"type": "no_action", "args": {"reason": "test"}}],
        }
    )


def _pack(**overrides: object) -> PolicyPack:
    rule = {"when": "false", "outcome": "deny", "message": "never"}
    return PolicyPack.model_validate(
        {
            "id": "test",
            "version": "2026.11.1",
            "incentive_limits": {
                "tiers": {"standard": {"percent": 10, "amount": 10, "free_months": 1}},
                "budget": {"max_incentives": 2, "window_days": 90},
            },
            "owner": "cx-governance@northwind.example",
            "review_by": "2027-01-31",
            "rules": [
                rule | {"id": "owned", "owner": "compliance@northwind.example",
                        "review_by": "2027-06-30"},
                rule | {"id": "orphan", "review_by": "2026-10-01"},
            ],
            **overrides,
        }
    )  # fmt: skip


def test_stewardship_lists_what_is_unowned_overdue_undated_or_due_worst_first() -> None:
    playbooks = [
        _playbook("in-date", TODAY + timedelta(days=200)),
        _playbook("overdue", TODAY - timedelta(days=1)),
        _playbook("undated", None),
        _playbook("due", TODAY + timedelta(days=10)),
        _playbook("due-today", TODAY),
    ]
    issues = stewardship(playbooks, _pack(), TODAY, due_within_days=30)
    assert [(i.problem, i.subject, i.id) for i in issues] == [
        ("unowned", "policy_rule", "orphan"),
        ("review_overdue", "policy_rule", "orphan"),
        ("review_overdue", "playbook", "overdue@2"),
        ("no_review_date", "playbook", "undated@2"),
        ("review_due", "playbook", "due-today@2"),
        ("review_due", "playbook", "due@2"),
    ]
    assert issues[2].owner == "tech-cx@northwind.example"
    unowned_pack = stewardship([], _pack(owner=None, review_by=None, rules=[]), TODAY)
    assert [(i.problem, i.subject) for i in unowned_pack] == [
        ("unowned", "policy_pack"),
        ("no_review_date", "policy_pack"),
    ]


def _report(until: datetime, groups: dict[str, GroupSums]) -> KpiReport:
    query = KpiQuery(since=until - timedelta(days=30), until=until, group_by="playbook")
    return build_report(query, groups, now=END, repeat_contact_days=30)


def _repeats(contacts: int, repeated: int) -> GroupSums:
    return GroupSums(decisions=contacts, contacts=contacts, contacts_known=contacts,
                     repeated=repeated)  # fmt: skip


def _denied(decisions: int, denied: int) -> GroupSums:
    return GroupSums(
        decisions=decisions, denials={("frequency_cap", "cap_reached"): (denied * 2, denied)}
    )


def test_a_rate_rises_only_when_the_recent_interval_clears_the_earlier_rate() -> None:
    middle, late = END - timedelta(days=60), END - timedelta(days=30)
    rising = rising_rates(
        _report(middle, {"article": _repeats(100, 20), "noisy": _repeats(12, 2),
                         "steady": _repeats(100, 30)}),
        _report(late, {"article": _repeats(100, 45), "noisy": _repeats(12, 9),
                       "steady": _repeats(100, 36)}),
        _report(late, {"(none)": _denied(400, 20)}),
        _report(END, {"(none)": _denied(400, 60)}),
        {"article": "tech-cx@northwind.example"},
        policy_owner="cx-governance@northwind.example",
        min_n=20,
    )  # fmt: skip
    assert [(r.subject, r.id, r.metric) for r in rising] == [
        ("playbook", "article", "repeat_contact"),  # 20% -> 45%
        ("policy", "frequency_cap", "denial"),  # 5% -> 15%
    ]
    article, cap = rising
    assert (article.earlier.value, article.recent.value) == (0.2, 0.45)
    assert article.owner == "tech-cx@northwind.example"
    assert (cap.earlier.k, cap.earlier.n, cap.recent.k, cap.recent.n) == (20, 400, 60, 400)
    assert cap.owner == "cx-governance@northwind.example"
    assert cap.windows == (late - timedelta(days=30), END - timedelta(days=30), END)


def test_a_policy_that_starts_denying_rises_from_zero() -> None:
    late = END - timedelta(days=30)
    rising = rising_rates(
        _report(late, {}),
        _report(END, {}),
        _report(late, {"(none)": GroupSums(decisions=300)}),
        _report(END, {"(none)": _denied(300, 40)}),
        {},
    )
    assert [(r.id, r.earlier.k, r.earlier.n) for r in rising] == [("frequency_cap", 0, 300)]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(data_dir))
    now = demo_now()
    decider = Decider.build(Settings(data_dir=data_dir).to_agent_config(), clock=lambda: now)
    try:
        asyncio.run(seed(decider, now))
    finally:
        decider.close()
    return CliRunner()


def test_the_cli_reports_the_demo_playbooks_and_pack(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["governance", "report", "--as-of", "2026-11-20T20:30:00", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    found = {(i["problem"], i["id"]) for i in report["stewardship"]}
    assert ("review_overdue", "tech-outage-goodwill-credit@3") in found
    assert ("review_overdue", "large_discount_review") in found
    assert ("no_review_date", "claim-delay-loyal-goodwill@1") in found
    assert ("review_due", "renewal-at-risk-retention-offer@3") in found
    assert not [i for i in report["stewardship"] if i["problem"] == "unowned"]
    assert report["rising"] == []  # no history, nothing to compare

    table = runner.invoke(app, ["governance", "report", "--as-of", "2026-11-20T20:30:00"])
    assert table.exit_code == 0, table.output
    assert "review overdue" in table.output
    assert "tech-outage-goodwill-credit@3" in table.output
