"""The demo data set (data/demo) validates against the real models and shows the policies at work.

Playbooks: front matter through ``Playbook`` (or the real parser once it exists), CEL conditions
compile and evaluate, action args are fields of each tool's args model and, once the planner's
defaults are filled in, a valid typed call. Customers: profile, events (anchored to the demo clock)
and context through their models. Then coverage and the policy showcases.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml

from agent.context import RequestContext
from agent.events import KNOWN_EVENT_TYPES, Event
from agent.outcomes import ACCOUNTING_EVENTS
from agent.playbooks.model import Playbook
from agent.profile import Profile
from agent.signals import JOURNEYS as SIGNAL_JOURNEYS
from agent.signals import load_catalogue
from tools import CATALOG, ActionType, Channel, Purpose, listed_as, parse_action

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
PLAYBOOK_DIR = DEMO / "playbooks"
CUSTOMER_DIR = DEMO / "customers"

# Every journey the signals know has demo playbooks; "general" ones serve all of them.
JOURNEYS = set(SIGNAL_JOURNEYS) - {"general"}
# Playbook intents are the signals catalogue's, so a matched intent can raise a playbook's fit;
# a few extra slugs only enrich the embedded text.
INTENTS = {spec.name for spec in load_catalogue().intents}
EXTRA_INTENTS = {
    "double_charge", "invoice_question", "onboarding_stalled", "plan_comparison",
    "cart_abandoned", "claim_documents", "travel_documents", "error_message",
    "general_question", "vulnerable_support",
}  # fmt: skip

# What each demo customer is there to show: customer_id -> journey.
DEMO_JOURNEYS = {
    "c01_hweber": "travel_prearrival",
    "c02_ktanaka": "insurance_claim",
    "c03_smurphy": "insurance_claim",
    "c04_mbell": "renewal",
    "c05_ralmeida": "cart_recovery",
    "c06_lmartin": "tech_support",
    "c07_pnair": "trial_conversion",
    "c08_dokafor": "account_access",
    "c09_athompson": "onboarding",
    "c10_obrennan": "tech_support",
    "c11_srossi": "cancellation",
    "c12_mcollins": "renewal",
    "c13_amehta": "billing_dispute",
    "c14_cdubois": "onboarding",
    "c15_sadeyemi": "tech_support",
    "c16_cmartin": "travel_prearrival",
    "c17_gbianchi": "order_delivery",
    "c18_jokoye": "complaint",
}
QUIET_START, QUIET_END = 21, 8
ID_PATTERN_FIELDS = ("template_id", "offer_id", "article_id", "queue")


def _now() -> datetime:
    raw = yaml.safe_load((DEMO / "demo.yaml").read_text())["now"]
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


NOW = _now()


# --- loading ---------------------------------------------------------------------------------


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n"), "a playbook starts with YAML front matter"
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert isinstance(meta, dict)
    return meta, body.strip()


def _load_playbooks() -> dict[Path, Playbook]:
    own = {}
    for path in sorted(PLAYBOOK_DIR.glob("*.md")):
        meta, body = _split_front_matter(path.read_text())
        own[path] = Playbook.model_validate({**meta, "body": body})
    return own


def _real_parser_playbooks() -> list[Playbook] | None:
    """The playbooks as the real parser reads them, once agent/playbooks/parse.py exists."""
    try:
        from agent.playbooks.parse import load_playbooks  # type: ignore[import-not-found]
    except ImportError:
        return None
    loaded = load_playbooks(PLAYBOOK_DIR)
    items = getattr(loaded, "playbooks", loaded)
    return [p for p in items if isinstance(p, Playbook)]


PLAYBOOKS = _load_playbooks()


def _load_customers() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(CUSTOMER_DIR.glob("*.json"))}


CUSTOMERS = _load_customers()


def _profile(customer_id: str) -> Profile:
    return Profile.model_validate(CUSTOMERS[customer_id]["profile"])


def _context(customer_id: str) -> RequestContext:
    return RequestContext.model_validate(CUSTOMERS[customer_id]["context"])


# --- the CEL activation, as the condition evaluator is specified to build it -----------------


def _days_to_renewal(profile: Profile) -> int:
    days = [
        (p.end_date - NOW.date()).days
        for p in profile.products
        if p.end_date is not None
        and p.kind in ("subscription", "policy")
        and p.status in ("active", "trial", "past_due")
        and p.end_date >= NOW.date()
    ]
    return min(days, default=9999)


def _activation(profile: Profile, context: RequestContext, **signals: Any) -> dict[str, Any]:
    tenure = profile.tenure_months(NOW)
    consented: dict[str, list[str]] = {"service": [], "marketing": []}
    for c in profile.consents:
        if c.granted:
            consented[c.purpose.value].append(c.channel.value)
    sig = {
        "intent": {"name": None, "journey": None, "score": 0.0, "candidates": []},
        "sentiment": {"compound": 0.0, "label": "neutral", "texts_scored": 0},
        "effort": {
            "score": 0.4, "level": "medium", "repeat_contacts_7d": 1, "transfers": 0,
            "failed_logins": 0, "errors": 0, "help_dwell_seconds": 0,
        },
        "journey": {"journey": context.journey, "stage": "attempting"},
        "risk": {"churn": 0.3, "level": "low", "factors": []},
    }  # fmt: skip
    for dotted, value in signals.items():
        part, field = dotted.split("__")
        sig[part][field] = value
    return {
        "profile": {
            **profile.model_dump(mode="json"),
            "tenure_months": -1 if tenure is None else tenure,
            "open_case_types": [c.type for c in profile.active_cases],
            "consented": consented,
            "days_to_renewal": _days_to_renewal(profile),
            "has_trial": any(p.status == "trial" for p in profile.products),
        },
        "signals": sig,
        "context": context.model_dump(mode="json"),
    }


def _holds(playbook: Playbook, activation: dict[str, Any]) -> bool:
    return all(cel.compile(c).execute(activation) is True for c in playbook.conditions)


def _playbook(playbook_id: str) -> Playbook:
    return next(p for p in PLAYBOOKS.values() if p.id == playbook_id)


# --- playbooks -------------------------------------------------------------------------------


def test_playbook_count_and_journey_coverage() -> None:
    assert len(PLAYBOOKS) >= 26
    per_journey: dict[str, int] = {}
    for playbook in PLAYBOOKS.values():
        per_journey[playbook.journey] = per_journey.get(playbook.journey, 0) + 1
    for journey in JOURNEYS:
        assert per_journey.get(journey, 0) >= 2, f"journey {journey} needs at least 2 playbooks"
    assert per_journey.get("general", 0) >= 2
    assert set(per_journey) <= JOURNEYS | {"general"}


def test_playbook_ids_unique_and_match_file_names() -> None:
    ids = [p.id for p in PLAYBOOKS.values()]
    assert len(ids) == len(set(ids))
    for path, playbook in PLAYBOOKS.items():
        assert path.stem == playbook.id


@pytest.mark.parametrize("path", sorted(PLAYBOOKS), ids=lambda p: p.stem)
def test_playbook_content(path: Path) -> None:
    playbook = PLAYBOOKS[path]
    assert set(playbook.intents) <= INTENTS | EXTRA_INTENTS, set(playbook.intents) - INTENTS
    assert set(playbook.intents) & INTENTS, f"{playbook.id}: no intent the signals know"
    assert playbook.talk_track.strip(), "a playbook needs a talk track"
    for section in ("## When to use", "## Why", "## Do not"):
        assert section in playbook.body
    assert "@" in playbook.owner


@pytest.mark.parametrize("path", sorted(PLAYBOOKS), ids=lambda p: p.stem)
def test_playbook_conditions_compile_and_evaluate(path: Path) -> None:
    playbook = PLAYBOOKS[path]
    expressions = list(playbook.conditions) + [a.when for a in playbook.actions if a.when]
    for expression in expressions:
        program = cel.compile(expression)
        for customer_id in CUSTOMERS:
            result = program.execute(_activation(_profile(customer_id), _context(customer_id)))
            assert isinstance(result, bool), f"{expression!r} gave {result!r} for {customer_id}"


@pytest.mark.parametrize("path", sorted(PLAYBOOKS), ids=lambda p: p.stem)
def test_playbook_action_args(path: Path) -> None:
    playbook = PLAYBOOKS[path]
    profile = _profile("c04_mbell")
    for action in playbook.actions:
        args_model = CATALOG[action.type].model_fields["args"].annotation
        fields = set(args_model.model_fields)  # type: ignore[union-attr]
        assert set(action.args) <= fields, (
            f"{action.type}: unknown args {set(action.args) - fields}"
        )
        assert "send_at" not in action.args
        assert "at" not in action.args
        assert "currency" not in action.args
        if action.type == ActionType.SEND_MESSAGE:
            assert {"purpose", "template_id"} <= set(action.args)
        # what the planner fills in: channel, currency, callback time
        filled = dict(action.args)
        if action.type in (ActionType.SEND_MESSAGE, ActionType.OFFER_INCENTIVE):
            filled.setdefault("channel", "email")
        if action.type == ActionType.OFFER_INCENTIVE and filled.get("kind") == "amount_discount":
            filled["currency"] = profile.currency
        if action.type == ActionType.APPLY_GOODWILL_CREDIT:
            filled["currency"] = profile.currency
        if action.type == ActionType.SCHEDULE_CALLBACK:
            filled["at"] = NOW + timedelta(days=1)
        parse_action({"type": action.type, "args": filled})


def test_real_parser_agrees_when_present() -> None:
    parsed = _real_parser_playbooks()
    if parsed is None:
        pytest.skip("agent.playbooks.parse.load_playbooks does not exist yet")
    ours = {p.id: p for p in PLAYBOOKS.values()}
    assert {p.id for p in parsed} == set(ours)
    for playbook in parsed:
        assert playbook.actions == ours[playbook.id].actions
        assert playbook.conditions == ours[playbook.id].conditions


def test_policy_showcase_playbooks() -> None:
    top = {p.id: p.actions[0] for p in PLAYBOOKS.values()}
    # an sms marketing message on top, email second: denied without SMS consent
    sms = [
        p for p in PLAYBOOKS.values()
        if p.journey in ("cart_recovery", "trial_conversion")
        and p.actions[0].type == ActionType.SEND_MESSAGE
        and p.actions[0].args.get("channel") == "sms"
        and p.actions[0].args.get("purpose") == "marketing"
        and any(a.args.get("channel") == "email" for a in p.actions[1:])
    ]  # fmt: skip
    assert sms
    # a push service message on top: moved out of quiet hours
    assert any(
        p.journey in ("travel_prearrival", "insurance_claim")
        and top[p.id].type == ActionType.SEND_MESSAGE
        and top[p.id].args.get("channel") == "push"
        and top[p.id].args.get("purpose") == "service"
        for p in PLAYBOOKS.values()
    )
    # a retention offer on top with a service fallback: withheld during a dispute
    retention = _playbook("renewal-at-risk-retention-offer")
    assert retention.actions[0].type == ActionType.OFFER_INCENTIVE
    assert any(
        a.type in (ActionType.SCHEDULE_CALLBACK, ActionType.HANDOFF_TO_AGENT)
        for a in retention.actions
    )
    credits = [
        a.args["amount"]
        for p in PLAYBOOKS.values()
        for a in p.actions
        if a.type == ActionType.APPLY_GOODWILL_CREDIT
    ]
    assert 15 in credits
    assert any(c > 25 for c in credits)
    used = {a.type for p in PLAYBOOKS.values() for a in p.actions}
    assert used == {listed_as(t) for t in ActionType}  # update_case: a listed open_case


# --- customers -------------------------------------------------------------------------------


def test_customer_count_and_coverage() -> None:
    assert len(CUSTOMERS) >= 14
    assert set(DEMO_JOURNEYS) == set(CUSTOMERS)
    assert set(DEMO_JOURNEYS.values()) == JOURNEYS
    tiers = {_profile(c).tier.value for c in CUSTOMERS}
    assert tiers == {"standard", "silver", "gold", "platinum"}
    directions = {_context(c).direction for c in CUSTOMERS}
    assert directions == {"inbound", "outbound"}
    assert {_profile(c).currency for c in CUSTOMERS} >= {"EUR", "GBP", "USD"}
    assert {_profile(c).language for c in CUSTOMERS} - {"en"}, "at least one non-English customer"


@pytest.mark.parametrize("customer_id", sorted(CUSTOMERS))
def test_customer_file_validates(customer_id: str) -> None:
    raw = CUSTOMERS[customer_id]
    assert set(raw) == {"profile", "events", "context"}
    profile = Profile.model_validate(raw["profile"])
    assert profile.customer_id == customer_id
    assert 4 <= len(raw["events"]) <= 25
    for item in raw["events"]:
        assert item["minutes_ago"] >= 0
        data = {k: v for k, v in item.items() if k != "minutes_ago"}
        event = Event.model_validate({**data, "ts": NOW - timedelta(minutes=item["minutes_ago"])})
        assert event.type in KNOWN_EVENT_TYPES.keys() | ACCOUNTING_EVENTS.keys(), event.type
        assert event.ts <= NOW
    context = RequestContext.model_validate(raw["context"])
    if context.direction == "inbound":
        assert context.channel in (Channel.CHAT, Channel.PHONE)
        assert context.reason
        assert context.journey is None
    else:
        assert context.channel is None
        assert context.journey == DEMO_JOURNEYS[customer_id]


def test_event_ids_unique_across_customers() -> None:
    ids = [e["id"] for raw in CUSTOMERS.values() for e in raw["events"]]
    assert len(ids) == len(set(ids))


def test_demo_loader_reads_everything() -> None:
    from agent.demo import demo_now, load_demo_customers

    assert demo_now(DEMO) == NOW
    loaded = load_demo_customers(NOW, DEMO)
    assert len(loaded) == len(CUSTOMERS)


# --- policy showcases ------------------------------------------------------------------------


def _in_quiet_hours(profile: Profile) -> bool:
    hour = NOW.astimezone(profile.zone).hour
    return hour >= QUIET_START or hour < QUIET_END


def test_showcase_sms_denied_without_consent() -> None:
    profile, context = _profile("c05_ralmeida"), _context("c05_ralmeida")
    assert context.direction == "outbound"
    assert context.journey == "cart_recovery"
    assert profile.has_consent(Channel.EMAIL, Purpose.MARKETING)
    assert not profile.has_consent(Channel.SMS, Purpose.MARKETING)
    assert not _in_quiet_hours(profile), "keep the consent showcase free of quiet hours"
    assert _holds(_playbook("cart-abandoned-sms-reminder"), _activation(profile, context))
    # the contrast: a trial customer who did opt in to marketing texts
    trial, trial_ctx = _profile("c07_pnair"), _context("c07_pnair")
    assert trial.has_consent(Channel.SMS, Purpose.MARKETING)
    assert not _in_quiet_hours(trial)
    assert _holds(_playbook("trial-expiring-sms-offer"), _activation(trial, trial_ctx))
    assert _days_to_renewal(trial) == 3


def test_showcase_quiet_hours_with_push_consent() -> None:
    quiet = [
        c for c in CUSTOMERS
        if _context(c).direction == "outbound"
        and _in_quiet_hours(_profile(c))
        and _profile(c).has_consent(Channel.PUSH, Purpose.SERVICE)
        and _context(c).journey in ("travel_prearrival", "insurance_claim")
    ]  # fmt: skip
    assert {"c01_hweber", "c02_ktanaka"} <= set(quiet)
    hannah = _profile("c01_hweber")
    departures = [p.end_date for p in hannah.products if p.kind == "booking"]
    assert (departures[0] - NOW.date()).days == 2
    assert _holds(
        _playbook("travel-prearrival-checkin-push"), _activation(hannah, _context("c01_hweber"))
    )


def test_showcase_incentive_withheld_during_dispute() -> None:
    disputed = [
        c for c in CUSTOMERS
        if "billing_dispute" in {case.type for case in _profile(c).active_cases}
        and _days_to_renewal(_profile(c)) <= 30
    ]  # fmt: skip
    assert "c04_mbell" in disputed
    marcus, context = _profile("c04_mbell"), _context("c04_mbell")
    assert marcus.tier.value in ("gold", "platinum")
    assert marcus.tenure_months(NOW) >= 12
    assert _days_to_renewal(marcus) == 12
    assert marcus.has_consent(Channel.EMAIL, Purpose.MARKETING), (
        "only the dispute should withhold it"
    )
    activation = _activation(marcus, context, risk__level="high", risk__churn=0.9)
    assert _holds(_playbook("renewal-at-risk-retention-offer"), activation)


def test_showcase_hold_outreach() -> None:
    margaret, ctx = _profile("c12_mcollins"), _context("c12_mcollins")
    assert margaret.vulnerability_flags
    assert ctx.direction == "outbound"
    care = _playbook("general-vulnerable-customer-care")
    assert _holds(care, _activation(margaret, ctx))
    assert not _holds(_playbook("renewal-at-risk-retention-offer"), _activation(margaret, ctx))
    claire, ctx = _profile("c14_cdubois"), _context("c14_cdubois")
    assert _holds(_playbook("general-quiet-follow-up"), _activation(claire, ctx))
    others = [c for c in CUSTOMERS if c != "c14_cdubois"]
    quiet = _playbook("general-quiet-follow-up")
    assert not any(_holds(quiet, _activation(_profile(c), _context(c))) for c in others)


def test_showcase_open_cases() -> None:
    types = {case.type for c in CUSTOMERS for case in _profile(c).active_cases}
    assert {"billing_dispute", "complaint", "claim"} <= types


def _when(action_when: str | None, activation: dict[str, Any]) -> bool:
    return action_when is None or cel.compile(action_when).execute(activation) is True


def test_showcase_damaged_delivery() -> None:
    giulia, ctx = _profile("c17_gbianchi"), _context("c17_gbianchi")
    assert (giulia.language, giulia.timezone, giulia.currency) == ("it", "Europe/Rome", "EUR")
    assert ctx.direction == "inbound"
    assert ctx.channel == Channel.CHAT
    # the photo-upload link goes by email; a first report, so nothing is open yet
    assert giulia.has_consent(Channel.EMAIL, Purpose.SERVICE)
    assert not giulia.active_cases
    damaged = _playbook("delivery-damaged-replace-or-refund")
    activation = _activation(giulia, ctx, intent__name="delivery_damaged", effort__level="low")
    assert _holds(damaged, activation)
    offered = [a.type for a in damaged.actions if _when(a.when, activation)]
    assert offered[0] == ActionType.OPEN_CASE
    assert ActionType.HANDOFF_TO_AGENT not in offered, "first report: the case, not a handoff"
    for other in ("delivery-late-tracking-update", "delivery-missing-investigate"):
        assert not _holds(_playbook(other), activation), other
    events = CUSTOMERS["c17_gbianchi"]["events"]
    assert any(e["type"] == "order_placed" for e in events)
    assert any(e["type"] == "chat_message" and e["text"] for e in events)


def test_showcase_formal_complaint_about_staff() -> None:
    joy, ctx = _profile("c18_jokoye"), _context("c18_jokoye")
    assert joy.language == "en"
    assert ctx.direction == "inbound"
    assert ctx.channel == Channel.PHONE
    assert joy.has_consent(Channel.EMAIL, Purpose.SERVICE), "the acknowledgement goes by email"
    assert "complaint" not in {case.type for case in joy.active_cases}
    formal = _playbook("complaint-formal-escalation")
    activation = _activation(joy, ctx, intent__name="formal_complaint")
    assert _holds(formal, activation)
    offered = [a.type for a in formal.actions if _when(a.when, activation)]
    assert offered[0] == ActionType.OPEN_CASE, "no complaint open yet: a new one is registered"
    assert ActionType.HANDOFF_TO_AGENT not in offered
    # read as a conduct complaint instead, it is routed away from the agent concerned
    conduct = _playbook("complaint-staff-conduct-handoff")
    assert _holds(conduct, _activation(joy, ctx, intent__name="staff_complaint"))
    events = CUSTOMERS["c18_jokoye"]["events"]
    assert any(e["type"] == "transfer" and e["channel"] == "phone" for e in events)
    assert any(e["type"] == "survey_response" and e["properties"].get("csat") == 1 for e in events)
