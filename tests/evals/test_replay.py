"""Replay end to end: decisions logged in a real data dir, replayed unchanged, then under a
changed policy pack (quiet hours from 23:30), which must show up as changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.config import AgentConfig
from agent.demo import demo_now, load_demo_customers, seed
from agent.deps import Deps, build_deps
from agent.record import DecideRequest
from agent.service import Decider
from agent.stores.decision_query import DecisionQuery
from api.cli import app
from evals.replay import ReplayReportV1, compare, replay, replay_with
from evals.runner import Execution
from policies import load_pack
from policies.pack import DEFAULT_PACK
from tools import parse_action

CUSTOMERS = ("c01_hweber", "c02_ktanaka")  # both deferred by quiet hours at the demo clock
INLINE = "c13_amehta"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo data and three logged decisions at the pinned demo clock (one an inline briefing)."""
    folder = tmp_path_factory.mktemp("replay-data")
    now = demo_now()
    decider = Decider.build(AgentConfig(data_dir=folder), clock=lambda: now)
    try:
        asyncio.run(seed(decider, now))
        for customer in load_demo_customers(now):
            if customer.profile.customer_id in CUSTOMERS:
                request = DecideRequest(
                    customer_id=customer.profile.customer_id, context=customer.context
                )
                asyncio.run(decider.decide(request))
            if customer.profile.customer_id == INLINE:  # an inline profile, briefed
                request = DecideRequest(
                    profile=customer.profile, events=customer.events, context=customer.context
                )
                asyncio.run(decider.brief(request))
    finally:
        decider.close()
    return folder


def _logged(deps: Deps) -> int:
    return len(deps.decisions.query(DecisionQuery(), limit=100).items)


def test_replay_under_the_same_graph_is_unchanged(data_dir: Path, tmp_path: Path) -> None:
    report = replay(
        AgentConfig(data_dir=data_dir),
        since=demo_now() - timedelta(hours=1),
        until=None,
        limit=10,
        workdir=tmp_path,
    )
    assert report.replayed == 3
    assert report.unchanged == 3, [(i.changes, i.error) for i in report.items]
    assert report.changed == report.errors == 0
    assert sorted(i.customer_id for i in report.items) == sorted([*CUSTOMERS, INLINE])
    assert {i.kind for i in report.items} == {"decision", "briefing"}
    assert report.policy_pack == "default@2026.12.3"


@pytest.fixture(scope="module")
def base(data_dir: Path) -> Iterator[Deps]:
    """The data dir's deps, built once for the tests that swap a part (the pack)."""
    deps = build_deps(AgentConfig(data_dir=data_dir), clock=demo_now)
    yield deps
    deps.close()


def _replay(deps: Deps, workdir: Path, **window: Any) -> ReplayReportV1:
    window = {"since": demo_now() - timedelta(hours=1), "until": None, "limit": 10, **window}
    return asyncio.run(replay_with(deps, workdir=workdir, **window))


def test_a_changed_policy_pack_shows_up_as_changes(base: Deps, tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        DEFAULT_PACK.read_text()
        .replace('start: "21:00"', 'start: "23:30"')
        .replace('version: "2026.12.3"', 'version: "2026.12.99"')
    )
    report = _replay(replace(base, pack=load_pack(pack)), tmp_path / "work")
    assert report.policy_pack == "default@2026.12.99"
    hweber = next(i for i in report.items if i.customer_id == "c01_hweber")
    assert hweber.changed
    assert any(
        line.startswith("verdicts: -send_message quiet_hours/modify") for line in hweber.changes
    )
    assert report.changed >= 1
    assert report.by_change.get("verdicts", 0) >= 1
    assert _logged(base) == 3


def test_the_window_and_limit_are_honoured(base: Deps, tmp_path: Path) -> None:
    assert _replay(base, tmp_path / "a", since=demo_now() + timedelta(seconds=1)).replayed == 0
    assert _replay(base, tmp_path / "b", until=demo_now()).replayed == 0
    assert _replay(base, tmp_path / "c", limit=1).replayed == 1


def test_replay_cli(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(data_dir))
    out = tmp_path / "replay.json"
    result = CliRunner().invoke(
        app, ["eval", "replay", "--since", "2026-11-20T00:00:00Z", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "replayed 3 decision(s)" in result.output
    assert "3 unchanged" in result.output
    assert '"unchanged": 3' in out.read_text()
    bad = CliRunner().invoke(app, ["eval", "replay", "--since", "2026-11-20T00:00:00"])
    assert bad.exit_code == 2
    assert "needs a timezone" in bad.output


def test_compare_names_each_aspect_that_changed(executions: dict[str, Execution]) -> None:
    before = executions["tiny-sms-consent-denied"].record
    assert compare(before, before) == []
    assert compare(before, before.model_copy(update={"mode": "fallback_rules"})) == [
        "mode: rules -> fallback_rules"
    ]
    other_call = parse_action(
        {"type": "recommend_article", "args": {"article_id": "kb-1", "channel": "web"}}
    )
    other = before.chosen.model_copy(update={"call": other_call})
    assert compare(before, before.model_copy(update={"chosen": other})) == [
        "action: send_message -> recommend_article"
    ]
    args = before.chosen.call.args.model_copy(update={"template_id": "new_template"})
    moved = before.chosen.model_copy(
        update={"call": before.chosen.call.model_copy(update={"args": args})}
    )
    assert compare(before, before.model_copy(update={"chosen": moved})) == [
        "args: template_id='trial_ending_offer_email'->'new_template'"
    ]
    no_denials = [
        p.model_copy(update={"evaluation": before.proposals[1].evaluation})
        for p in before.proposals
    ]
    changed = compare(before, before.model_copy(update={"proposals": no_denials}))
    assert len(changed) == 1
    assert changed[0].startswith("verdicts: -")
    assert "-send_message consent/deny/consent_missing" in changed[0]
