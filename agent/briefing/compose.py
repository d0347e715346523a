"""compose_briefing: facts first, then sections that cite them, then a template narrative."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agent.briefing.facts import FactBook
from agent.briefing.models import Briefing, BriefingItem, FactSource
from agent.briefing.talk_track import talk_track_for
from agent.context import RequestContext
from agent.events import Event, dwell_seconds
from agent.ids import new_id
from agent.playbooks.model import PlaybookHit
from agent.profile import Profile
from agent.record import ProposalTrace, RankedAction
from agent.signals.models import Signals
from policies import CaseFact, Outcome
from tools import ActionCall

__all__ = ["PROBLEM_EVENTS", "compose_briefing", "describe_call"]

PROBLEM_EVENTS = frozenset(
    {
        "error",
        "login_failed",
        "account_locked",
        "payment_failed",
        "checkout_abandoned",
        "transfer",
        "contact",
        "claim_status_viewed",
        "plan_downgrade_viewed",
    }
)
_MAX_PROBLEMS = 6


def describe_call(call: ActionCall) -> str:
    """A short human description of a typed call, e.g. 'send_message on email (template x)'."""
    args = call.args.model_dump(mode="json", exclude_none=True)
    shown = ", ".join(f"{k}={v}" for k, v in args.items() if k not in ("variables", "reason"))
    return f"{call.type} ({shown})" if shown else str(call.type)


def _summary(book: FactBook, profile: Profile, now: datetime) -> list[BriefingItem]:
    ids = [book.add("profile", "profile.tier", f"tier {profile.tier}")]
    text = f"{profile.name or profile.customer_id}, {profile.tier} customer"
    months = profile.tenure_months(now)
    if months is not None and profile.customer_since is not None:
        tenure = f"{months // 12} years {months % 12} months"
        since = f"customer since {profile.customer_since} ({tenure})"
        ids.append(book.add("profile", "profile.customer_since", since))
        text += f" for {tenure}"
    items = [BriefingItem(text=text + ".", fact_ids=ids)]
    products = [p for p in profile.products if p.status in ("trial", "active", "past_due")]
    for product in products[:3]:
        ref = f"profile.products[{product.id}]"
        detail = f"{product.name} ({product.status}" + (
            f", ends {product.end_date})" if product.end_date else ")"
        )
        items.append(
            BriefingItem(text=f"Has {detail}.", fact_ids=[book.add("profile", ref, detail)])
        )
    if profile.vulnerability_flags:
        flags = ", ".join(profile.vulnerability_flags)
        fid = book.add("profile", "profile.vulnerability_flags", f"vulnerability flags: {flags}")
        items.append(BriefingItem(text=f"Needs extra care: {flags}.", fact_ids=[fid]))
    if profile.nps is not None:
        fid = book.add("profile", "profile.nps", f"last NPS {profile.nps}")
        items.append(BriefingItem(text=f"Last NPS score {profile.nps}.", fact_ids=[fid]))
    return items


def _trying(
    book: FactBook, context: RequestContext, signals: Signals, events: Sequence[Event]
) -> list[BriefingItem]:
    items = []
    if context.reason:
        fid = book.add("context", "context.reason", f"stated reason: {context.reason}")
        items.append(BriefingItem(text=f"Says: \u201c{context.reason}\u201d", fact_ids=[fid]))
    if signals.intent.name:
        fid = book.add(
            "signal", "signals.intent", f"intent {signals.intent.name} ({signals.intent.score:.2f})"
        )
        ids = [fid]
        by_id = {e.id: e for e in events}
        for evidence in signals.intent.evidence:
            event = by_id.get(evidence.ref) if evidence.source == "event" else None
            if event is None:
                continue
            # the event's own content is the fact; how it matched the intent is a signal fact
            ids.append(book.add("event", event.id, _event_fact(event)))
            ids.append(book.add("signal", f"signals.intent.evidence[{event.id}]", evidence.detail))
        items.append(
            BriefingItem(
                text=f"Most likely intent: {signals.intent.name.replace('_', ' ')}.", fact_ids=ids
            )
        )
    if signals.journey.journey:
        fid = book.add(
            "signal",
            "signals.journey",
            f"journey {signals.journey.journey}, stage {signals.journey.stage}",
        )
        items.append(
            BriefingItem(
                text=f"Journey: {signals.journey.journey.replace('_', ' ')}, "
                f"currently {signals.journey.stage}.",
                fact_ids=[fid],
            )
        )
    return items


def _event_fact(event: Event) -> str:
    """An event as a fact: its type and properties as recorded, the whole text."""
    return _event_text(event, as_fact=True)


def _event_text(event: Event, *, as_fact: bool = False) -> str:
    """An event in words for the agent: when, where, what, its properties without field
    syntax, how long a page was read, and what was said (long messages cut at a word; the
    whole text is in its fact, ``as_fact``)."""
    if as_fact:
        what = event.type
        props = [f"{k}={v}" for k, v in event.properties.items() if v is not None]
        text = event.text
    else:
        what = event.type.replace("_", " ")
        props = [
            f"{k.replace('_', ' ')}: {v}" for k, v in event.properties.items() if v is not None
        ]
        text = _excerpt(event.text) if event.text else None
    if event.type == "page_view" and dwell_seconds(event):
        props.append(f"read for {_duration(dwell_seconds(event))}")
    said = f" \u2014 \u201c{text}\u201d" if text else ""
    listed = f" ({'; '.join(props)})" if props else ""
    return f"{event.ts:%Y-%m-%d %H:%M} UTC {event.channel} {what}{listed}{said}"


_EXCERPT = 200


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _EXCERPT:
        return text
    return text[: text.rfind(" ", 0, _EXCERPT)].rstrip(",;:") + " \u2026"


_SPOKEN = frozenset({"contact", "chat_message", "survey_response"})
"""Events whose text is the customer's own words."""
_MAX_MESSAGES = 3
_MAX_PAGES = 5


def _problems(book: FactBook, events: Sequence[Event]) -> list[BriefingItem]:
    """What went wrong, oldest first: errors, failures and transfers on the way, then the
    customer's latest words (what they said, where and when)."""
    said = [e for e in events if e.type in _SPOKEN and e.text][-_MAX_MESSAGES:]
    problems = [e for e in events if e.type in PROBLEM_EVENTS and e not in said][-_MAX_PROBLEMS:]
    items = [
        BriefingItem(text=_event_text(e), fact_ids=[book.add("event", e.id, _event_fact(e))])
        for e in problems
    ]
    for event in said:
        fid = book.add("event", event.id, _event_fact(event))
        items.append(
            BriefingItem(
                text=f"Said on {event.channel}, {event.ts:%Y-%m-%d %H:%M} UTC: "
                f"\u201c{_excerpt(event.text or '')}\u201d",
                fact_ids=[fid],
            )
        )
    return items


def _pages(book: FactBook, events: Sequence[Event]) -> list[BriefingItem]:
    """The pages they read, and for how long: what they already tried on their own."""
    read = [e for e in events if e.type == "page_view" and dwell_seconds(e) > 0][-_MAX_PAGES:]
    items = []
    for event in read:
        page = str(event.properties.get("page") or "a page")
        fid = book.add("event", event.id, _event_fact(event))
        items.append(
            BriefingItem(
                text=f"Read {page} for {_duration(dwell_seconds(event))} "
                f"({event.channel}, {event.ts:%Y-%m-%d %H:%M} UTC).",
                fact_ids=[fid],
            )
        )
    return items


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _feelings(book: FactBook, signals: Signals) -> list[BriefingItem]:
    s, eff = signals.sentiment, signals.effort
    sid = book.add(
        "signal",
        "signals.sentiment",
        f"VADER compound {s.compound:+.2f} ({s.label}) from {s.texts_scored} texts",
    )
    eid = book.add(
        "signal",
        "signals.effort",
        f"effort {eff.level}: {_n(eff.repeat_contacts_7d, 'contact')} in 7 days, "
        f"{_n(eff.transfers, 'transfer')}, {_n(eff.failed_logins, 'failed login')}, "
        f"{_n(eff.errors, 'error')}, {eff.help_dwell_seconds}s on help pages",
    )
    rid = book.add(
        "signal", "signals.risk", f"churn risk {signals.risk.level} ({signals.risk.churn:.2f})"
    )
    if s.label == "positive" and eff.level == "high":
        # a lexicon reads sarcasm as praise; what the customer had to do says more
        mood = f"Words read positive ({s.compound:+.2f}), but effort is high: expect frustration."
        mood_ids = [sid, eid]
    else:
        mood, mood_ids = f"Sentiment {s.label} ({s.compound:+.2f}).", [sid]
    return [
        BriefingItem(text=mood, fact_ids=mood_ids),
        BriefingItem(
            text=f"Effort {eff.level}: {_n(eff.repeat_contacts_7d, 'contact')} this week, "
            f"{_n(eff.transfers, 'transfer')}, {_n(eff.failed_logins, 'failed login')}, "
            f"{_n(eff.errors, 'error')}.",
            fact_ids=[eid],
        ),
        BriefingItem(text=f"Churn risk {signals.risk.level}.", fact_ids=[rid]),
    ]


def _cases(book: FactBook, profile: Profile, reported: Sequence[CaseFact]) -> list[BriefingItem]:
    """The profile's open cases with their summaries, then those that events and our own
    decisions opened (the profile may not know them yet)."""
    items = []
    for case in profile.active_cases:
        text = f"{case.type} case {case.id} ({case.status}, opened {case.opened_at:%Y-%m-%d})"
        if case.summary:
            text += f": {case.summary}"
        items.append(BriefingItem(text=text, fact_ids=[book.add("case", case.id, text)]))
    shown = {c.id for c in profile.active_cases}
    for fact in reported:
        if fact.case_id in shown or fact.source == "profile":
            continue
        how = "opening" if fact.status == "reserved" else "open"
        by = "reported by the case system" if fact.source == "event" else "opened by our decision"
        text = f"{fact.case_type} case {fact.case_id} ({how}, {by}, {fact.opened_at:%Y-%m-%d})"
        source: FactSource = "event" if fact.source == "event" else "case"
        items.append(BriefingItem(text=text, fact_ids=[book.add(source, fact.ref, text)]))
    return items


def _recommended(
    book: FactBook,
    chosen: RankedAction,
    hits: Sequence[PlaybookHit],
    traces: Sequence[ProposalTrace],
) -> tuple[list[BriefingItem], str | None]:
    hit = next((h for h in hits if h.playbook.id == chosen.playbook_id), None)
    plain = chosen.call.plain()
    if hit is None:
        fid = book.add("policy", "safe_default", f"safe default: {describe_call(chosen.call)}")
        return [BriefingItem(text=f"Next: {_capital(plain)}.", fact_ids=[fid])], None
    fid = book.add(
        "playbook", hit.playbook.key, f"playbook {hit.playbook.key}: {hit.playbook.title}"
    )
    text = f"Next: {_capital(plain)}, per playbook \u201c{hit.playbook.title}\u201d."
    if chosen.outcome is Outcome.REQUIRE_APPROVAL:
        text += " Needs approval before it runs."
    speakable = {chosen.call.type} | {t.call.type for t in traces if _permitted(t)}
    return [BriefingItem(text=text, fact_ids=[fid])], talk_track_for(
        hit.playbook.talk_track, speakable
    )


def _permitted(trace: ProposalTrace) -> bool:
    return trace.evaluation.outcome in (Outcome.ALLOW, Outcome.MODIFY)


def _do_not(
    book: FactBook, traces: Sequence[ProposalTrace], chosen: RankedAction
) -> list[BriefingItem]:
    """Every action a guard denied or changed, with its reason, once each; an action that
    another proposal may still take, exactly as it is, is not forbidden here."""
    allowed = {chosen.call.plain()} | {t.call.plain() for t in traces if _permitted(t)}
    items, seen = [], set()
    for trace in traces:
        plain = trace.call.plain()
        for verdict in trace.evaluation.verdicts:
            if verdict.outcome not in (Outcome.DENY, Outcome.MODIFY):
                continue
            key = (plain, verdict.outcome, verdict.reason_code)
            if key in seen or (verdict.outcome is Outcome.DENY and plain in allowed):
                continue
            seen.add(key)
            ref = f"{verdict.policy_id}@{verdict.policy_version}"
            fid = book.add(
                "policy",
                f"{ref}:{trace.proposal_id}",
                f"{ref} {verdict.reason_code}: {verdict.message}",
            )
            verb = "Do not" if verdict.outcome is Outcome.DENY else "Changed:"
            items.append(
                BriefingItem(
                    text=f"{verb} {plain}: {_sentence(verdict.message)}",
                    fact_ids=[fid],
                )
            )
    return items


def _narrative(sections: Sequence[Sequence[BriefingItem]]) -> str:
    sentences = []
    for section in sections:
        for item in section[:3]:
            cites = "".join(f"[{f}]" for f in item.fact_ids)
            sentences.append(f"{item.text.rstrip('.')} {cites}.")
    return " ".join(sentences)


def compose_briefing(
    *,
    decision_id: str,
    now: datetime,
    profile: Profile,
    events: Sequence[Event],
    context: RequestContext,
    signals: Signals,
    hits: Sequence[PlaybookHit],
    traces: Sequence[ProposalTrace],
    chosen: RankedAction,
    open_cases: Sequence[CaseFact] = (),
) -> Briefing:
    """The briefing: every item cites its facts. ``open_cases`` are the cases the guards knew
    of (the profile's, and those events and our decisions opened)."""
    book = FactBook()
    summary = _summary(book, profile, now)
    trying = _trying(book, context, signals, events) + _pages(book, events)
    wrong = _problems(book, events)
    feelings = _feelings(book, signals)
    cases = _cases(book, profile, open_cases)
    recommended, talk_track = _recommended(book, chosen, hits, traces)
    do_not = _do_not(book, traces, chosen)
    return Briefing(
        briefing_id=new_id("brf", ms=int(now.timestamp() * 1000)),
        decision_id=decision_id,
        customer_id=profile.customer_id,
        created_at=now,
        customer_summary=summary,
        trying_to_do=trying,
        what_went_wrong=wrong,
        sentiment_and_effort=feelings,
        open_cases=cases,
        recommended_action=recommended,
        talk_track=talk_track,
        do_not=do_not,
        facts=book.facts,
        narrative=_narrative([summary, trying, wrong, feelings, recommended]),
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    """A guard's message as a sentence for an agent."""
    text = text.strip()
    return _capital(text) + ("" if text.endswith((".", "!", "?")) else ".")


def _n(count: int, noun: str) -> str:
    """``1 transfer``, ``2 transfers``: briefings are read by people."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
