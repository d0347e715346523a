"""One simulated customer: an archetype's situation under another name, lived a few times
through the real decide path, the outcome API and the customer store."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from agent.approvals.models import Verdict
from agent.context import RequestContext
from agent.demo import DemoCustomer
from agent.demo_history.spec import HistoryReport, HistorySpec, SimulatedClock
from agent.events import Event
from agent.outcomes import OutcomeIn
from agent.profile import Profile, Tier
from agent.record import DecideRequest, DecisionRecordV1
from agent.stores.decision_columns import effective_at
from tools import ActionType, Channel, Purpose

if TYPE_CHECKING:
    from agent.service import Decider

__all__ = ["Lookalike", "lookalike_names", "seeded_rng"]


_FIRST = ["Ana", "Ben", "Chloé", "Dev", "Elif", "Finn", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
          "Lars", "Mia", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
          "Wei", "Yara", "Zoe"]  # fmt: skip
_LAST = ["Adler", "Byrne", "Costa", "Diallo", "Evans", "Fischer", "García", "Haas", "Ito",
         "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Patel", "Quist",
         "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Yilmaz", "Zhou"]  # fmt: skip
_ASCII = str.maketrans("éíáç", "eiac")
Step = Callable[[], Awaitable[None]]


def _shift(value: date | None, days: int) -> date | None:
    return None if value is None else value + timedelta(days=days)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


@dataclass
class Lookalike:
    """One simulated customer: an archetype's situation under another name, lived a few times."""

    customer_id: str
    names: tuple[str, str]
    archetype: DemoCustomer
    spec: HistorySpec
    decider: Decider
    clock: SimulatedClock
    anchor: datetime
    rng: random.Random
    report: HistoryReport = field(default_factory=HistoryReport)
    _queue: list[tuple[datetime, int, Step]] = field(default_factory=list)
    _seq: int = 0

    def at(self, moment: datetime, step: Step) -> None:
        if moment <= self.anchor:  # the history ends now: later steps have not happened yet
            self._seq += 1
            heapq.heappush(self._queue, (moment, self._seq, step))

    async def live(self) -> HistoryReport:
        start = self.anchor - timedelta(days=self.spec.days - 1)
        await self.decider.put_customer(self._profile(start))
        # an inbound need is lived once (its repeat contacts follow from how it went); outbound
        # journeys trigger again and again
        inbound = self.archetype.context.direction == "inbound"
        episodes = 1 if inbound else max(1, _poisson(self.rng, self.spec.episodes_per_lookalike))
        for episode in range(episodes):
            moment = start + timedelta(seconds=self.rng.uniform(0, (self.spec.days - 2) * 86400))
            self.at(moment, self._episode(episode, moment))
        approvals = self.spec.approvals
        if approvals is not None and self.rng.random() < approvals.chase_today.get(
            self._archetype_id, 0.0
        ):
            hours = approvals.today_hours
            today = self.anchor - timedelta(hours=self.rng.uniform(0.1, 0.9) * hours)
            self.at(today, self._episode(episodes, today))
        if self.rng.random() < self.spec.newsletter_share:
            first = start + timedelta(days=self.rng.uniform(0, 7))
            for week in range(self.spec.days // 7):
                self._newsletter(first + timedelta(weeks=week), week)
        while self._queue:
            moment, _, step = heapq.heappop(self._queue)
            self.clock.set(moment)
            await step()
        return self.report

    # -- the customer -----------------------------------------------------------------------

    def _profile(self, moment: datetime) -> Profile:
        """The archetype's profile under this lookalike's name, its dates moved so the
        situation stands at ``moment`` as it stands for the archetype at the anchor."""
        days = (moment - self.anchor).days
        base = self.archetype.profile
        rng = seeded_rng(self.spec.seed, self.customer_id, "profile")
        first, last = self.names
        handle = f"{first}.{last}".lower().translate(_ASCII)
        consents = [
            c.model_copy(update={"granted": not c.granted})
            if c.purpose is Purpose.MARKETING and rng.random() < 0.2
            else c
            for c in base.consents
        ]
        tier = base.tier if rng.random() < 0.7 else rng.choice(list(Tier))
        data: dict[str, Any] = {
            "customer_id": self.customer_id,
            "name": f"{first} {last}",
            "identities": [
                {"kind": "email", "value": f"{handle}@example.com"},
                {"kind": "crm", "value": f"CRM-{rng.randrange(10**6, 10**7)}"},
            ],
            "tier": tier,
            "customer_since": _shift(base.customer_since, -rng.randrange(0, 2000)),
            "lifetime_value": (base.lifetime_value * Decimal(rng.uniform(0.4, 1.8))).quantize(
                Decimal("0.01")
            ),
            "consents": [c.model_dump() for c in consents],
            "products": [
                p.model_dump()
                | {"start_date": _shift(p.start_date, days), "end_date": _shift(p.end_date, days)}
                for p in base.products
            ],
            "open_cases": [
                c.model_dump() | {"opened_at": c.opened_at + timedelta(days=days)}
                for c in base.open_cases
            ],
        }
        return Profile.model_validate(base.model_dump() | data)

    def _events(self, moment: datetime, tag: str) -> list[Event]:
        """The archetype's recent events, moved to lead up to ``moment``."""
        offset = moment - self.anchor
        return [
            e.model_copy(update={"id": f"{tag}-{e.id}"[:64], "ts": e.ts + offset})
            for e in self.archetype.events
            if self.anchor - e.ts <= timedelta(days=30)
        ]

    def _newsletter(self, moment: datetime, week: int) -> None:
        event = Event(
            id=f"{self.customer_id}-news-{week}",
            ts=moment,
            channel=Channel.EMAIL,
            type="message_sent",
            properties={"template_id": "weekly_picks", "purpose": "marketing", "source": "esp"},
        )

        async def send() -> None:
            await self.decider.add_events(self.customer_id, [event])
            self.report.events += 1

        self.at(moment, send)

    # -- decisions ---------------------------------------------------------------------------

    def _episode(self, episode: int, moment: datetime) -> Step:
        variants = [self.archetype.context.reason, *self.spec.reasons.get(self._archetype_id, [])]
        reason = self.rng.choice([v for v in variants if v]) if any(variants) else None

        async def begin() -> None:
            await self.decider.put_customer(self._profile(moment))
            tag = f"{self.customer_id}-e{episode}"
            self.report.events += await self.decider.add_events(
                self.customer_id, self._events(moment, tag)
            )
            await self._contact(episode, 0, reason)

        return begin

    @property
    def _archetype_id(self) -> str:
        return self.archetype.profile.customer_id

    async def _contact(self, episode: int, attempt: int, reason: str | None) -> None:
        base = self.archetype.context
        inbound = base.direction == "inbound"
        now = self.clock()
        if inbound and attempt > 0:  # coming back: the contact platform logs it first
            contact = Event(
                id=f"{self.customer_id}-e{episode}-c{attempt}",
                ts=now - timedelta(seconds=30),
                channel=base.channel or Channel.PHONE,
                type="contact",
                properties={"reason": "repeat"},
                text=reason,
            )
            self.report.events += await self.decider.add_events(self.customer_id, [contact])
        context = base.model_copy(
            update={
                "reason": reason if inbound else None,
                "interaction_id": f"{self.customer_id}-e{episode}-a{attempt}" if inbound else None,
            }
        )
        request = DecideRequest(customer_id=self.customer_id, context=context)
        record = (await self.decider.decide(request)).record
        self.report.decisions += 1
        if (
            inbound
            and record.chosen.call.type is ActionType.HANDOFF_TO_AGENT
            and self.rng.random() < self.spec.briefing_after_handoff
        ):
            self.clock.set(now + timedelta(seconds=40))
            briefing = (await self.decider.brief(request)).record
            self.report.decisions += 1
            if self.rng.random() < self.spec.reported:  # the agent records what was done
                at = now + timedelta(minutes=self.rng.uniform(5, 25))
                self._reporter(briefing.decision_id)("executed", at)
        if record.approval_id is not None:
            self._await_verdict(record, context, episode, attempt, reason)
        else:
            self._respond(record, context, episode, attempt, reason)

    def _await_verdict(
        self,
        record: DecisionRecordV1,
        context: RequestContext,
        episode: int,
        attempt: int,
        reason: str | None,
    ) -> None:
        """An approver answers (or nobody does, and it expires); the customer then responds
        to what was released. Answers due after the history ends are still pending."""
        spec, approval_id = self.spec.approvals, record.approval_id
        assert approval_id is not None
        if spec is None:
            return
        draw = self.rng.random()
        if draw < spec.approve + spec.reject:
            verdict: Verdict = "approved" if draw < spec.approve else "rejected"
            moment = record.created_at + timedelta(minutes=self.rng.uniform(*spec.answer_minutes))
            why = {
                "approved": "SLA breach confirmed on the claim file: the credit is fair.",
                "rejected": "Credit already given on this claim: the senior callback instead.",
            }[verdict]
        else:
            verdict = "expired"
            ttl = timedelta(seconds=self.decider.deps.config.approval_ttl_s)
            moment = record.created_at + ttl + timedelta(minutes=1)

        async def answer() -> None:
            if verdict == "expired":
                approval = await self.decider.approvals.expire(approval_id)
            else:
                approval = await self.decider.approvals.decide(
                    approval_id, verdict, reason=why, actor=spec.approver
                )
            if approval.released_decision_id is not None:
                self.report.decisions += 1
                released = await self.decider.get_decision(approval.released_decision_id)
                self._respond(released, context, episode, attempt, reason)

        self.at(moment, answer)

    def _respond(
        self,
        record: DecisionRecordV1,
        context: RequestContext,
        episode: int,
        attempt: int,
        reason: str | None,
    ) -> None:
        call, rng, now = record.chosen.call, self.rng, record.created_at
        model = self.spec.actions.get(call.type)
        if model is None or record.chosen.outcome == "deny" or rng.random() > self.spec.reported:
            return
        report = self._reporter(record.decision_id)
        if rng.random() >= model.execute:
            report("declined", now + timedelta(minutes=rng.uniform(1, 20)))
            return
        executed = effective_at(call, now) + timedelta(minutes=rng.uniform(1, 15))
        report("executed", executed)
        later = executed + timedelta(hours=rng.uniform(1, 72))
        resolved = False
        journey = context.journey or record.signals.journey.journey or ""
        convert = min(0.95, model.convert * self.spec.convert_factor.get(journey, 1.0))
        if call.purpose is Purpose.MARKETING and rng.random() < model.unsubscribe:
            report("unsubscribed", later)
        elif rng.random() < convert:
            report("accepted", later)
            low, high = model.value or (10.0, 50.0)
            amount = Decimal(rng.uniform(low, high)).quantize(Decimal("0.01"))
            value = {"amount": str(amount), "currency": record.profile.currency}
            report("converted", later + timedelta(hours=rng.uniform(0.5, 48)), value=value)
        elif rng.random() < model.accept:
            report("accepted", later)
        if rng.random() < model.resolve:
            resolved = True
            report("resolved", executed + timedelta(hours=rng.uniform(0.2, 48)))
        inbound = context.direction == "inbound"
        if inbound and rng.random() < model.transfer:
            self._transfer(record, now + timedelta(minutes=rng.uniform(3, 40)))
        repeat = model.repeat * self.spec.repeat_factor.get(journey, 1.0)
        repeat = min(0.9, repeat * (0.6 if resolved else 1.4))
        if inbound and rng.random() < repeat:
            again = now + timedelta(days=rng.uniform(1, 25))
            self.at(again, lambda: self._contact(episode, attempt + 1, reason))
        elif not inbound and attempt < 2 and rng.random() < self.spec.chase_after_silence:
            again = now + timedelta(days=rng.uniform(2, 4))
            self.at(again, lambda: self._contact(episode, attempt + 1, reason))

    def _reporter(self, decision_id: str) -> Callable[..., None]:
        def report(kind: str, moment: datetime, **extra: Any) -> None:
            outcome = OutcomeIn.model_validate(
                {"id": f"sim-{kind}", "type": kind, "source": "demo-history", **extra}
            )

            async def send() -> None:
                await self.decider.record_outcome(decision_id, outcome)
                self.report.outcomes += 1

            self.at(moment, send)

        return report

    def _transfer(self, record: DecisionRecordV1, moment: datetime) -> None:
        event = Event(
            id=f"{record.decision_id}-transfer",
            ts=moment,
            channel=record.context.channel or Channel.PHONE,
            type="transfer",
            properties={"from_queue": "tier1", "to_queue": "tier2"},
        )

        async def send() -> None:
            self.report.events += await self.decider.add_events(self.customer_id, [event])

        self.at(moment, send)


def seeded_rng(*parts: object) -> random.Random:
    """A generator seeded from ``parts``: the same simulation on every run."""
    return random.Random(":".join(str(p) for p in parts))  # noqa: S311 - a simulation


def lookalike_names(index: int, spec: HistorySpec) -> tuple[str, str, str]:
    """(customer_id, first name, last name) of lookalike ``index``."""
    rng = seeded_rng(spec.seed, "name", index)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return f"h{index:03d}_{first[0]}{last}".lower().translate(_ASCII), first, last
