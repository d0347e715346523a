"""The agent's public face: what the API and the CLI call. Blocking work runs in threads."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.approvals.service import ApprovalService
from agent.audit.checkpoint import Checkpoint
from agent.audit.store import VerifyReport
from agent.config import AgentConfig
from agent.deps import Deps, build_deps
from agent.embeddings import CachingEmbedder
from agent.errors import ErrorCode, NextbestError
from agent.events import Event
from agent.graph import build_graph, run_decision
from agent.ids import new_id
from agent.kpis import KpiQuery, KpiReport
from agent.locks import CustomerLocks
from agent.metrics import observe, observe_breaker
from agent.outcomes import DecisionState, Lifecycle, OutcomeIn, OutcomeRecordV1, lifecycle, state_of
from agent.outcomes.store import Appended, OutcomeProblem, OutcomesRejected
from agent.playbooks.model import Playbook
from agent.playbooks.parse import PlaybookError, load_playbooks, parse_playbooks
from agent.playbooks.store import IngestReport
from agent.privacy.erasure import ErasureReceipt
from agent.privacy.scrub import scrub
from agent.profile import Profile
from agent.record import DecideRequest, DecisionRecordV1
from agent.reviews import LoggedReview, ReviewIn, ReviewRecordV1
from agent.reviews.store import ReviewQuery
from agent.stores.decision_log import (
    DecisionQuery,
    IdempotencyConflict,
    LoggedDecision,
    RecordErased,
)
from agent.stores.page import InvalidCursor, Page

__all__ = ["SYSTEM", "Asker", "Decider", "DecisionResult", "OutcomeResult"]


@dataclass(frozen=True, slots=True)
class DecisionResult:
    record: DecisionRecordV1
    """The decision as made (a replay: as the log holds it, identities tokenized)."""
    replayed: bool = False
    """True when an earlier decision with the same idempotency key was returned."""


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asks for a decision or reports an outcome: recorded by name with what they do."""

    name: str | None
    override_profiles: bool = False
    """May send an inline profile for a stored customer (else 409)."""


SYSTEM = Asker(name=None, override_profiles=True)
"""In-process callers (the CLI, evals, replays, the demo): no key, trusted."""


@dataclass(frozen=True, slots=True)
class OutcomeResult:
    record: OutcomeRecordV1
    replayed: bool
    """True when this report was stored before: the first result is returned."""
    state: DecisionState
    """The decision's state after the report."""


_PROBLEM_CODES = {
    "not_found": ErrorCode.DECISION_NOT_FOUND,
    "conflict": ErrorCode.OUTCOME_CONFLICT,
    "mismatch": ErrorCode.IDEMPOTENCY_MISMATCH,
    "invalid": ErrorCode.INVALID_INPUT,
}


def _one_problem(problem: OutcomeProblem) -> NextbestError:
    code = _PROBLEM_CODES[problem.kind]
    field = f"body.{problem.field}" if code is ErrorCode.INVALID_INPUT else problem.field
    return NextbestError(problem.message, code, field=field)


def _batch_problems(rejected: OutcomesRejected, total: int) -> NextbestError:
    fields = [(f"body.outcomes.{p.index}.{p.field}", p.message) for p in rejected.problems]
    first = rejected.problems[0]
    return NextbestError(
        f"{len(rejected.problems)} of {total} outcomes refused, none written; first: "
        f"outcomes[{first.index}].{first.field}: {first.message}",
        ErrorCode.INVALID_INPUT,
        field=fields[0][0],
        fields=fields,
    )


def _fingerprint(request: DecideRequest, kind: str) -> str:
    return hashlib.sha256(f"{kind}:{request.model_dump_json()}".encode()).hexdigest()


class Decider:
    """Decides, briefs, and reads the stores. One per process; safe for concurrent use."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._graph = build_graph()
        config = deps.config
        self._locks = CustomerLocks(
            config.data_dir / "locks",
            database_url=config.database_url.get_secret_value() if config.database_url else None,
            pool_size=config.database_pool_size,
        )
        self.approvals = ApprovalService(deps, self._locks)
        """Decisions whose action waits for a human's approval."""

    @classmethod
    def build(cls, config: AgentConfig, *, clock: Callable[[], datetime] | None = None) -> Decider:
        return cls(build_deps(config, clock=clock or (lambda: datetime.now(UTC))))

    @property
    def deps(self) -> Deps:
        return self._deps

    def close(self) -> None:
        """Close the stores (and the LLM client, unless called from a running event loop)."""
        self.approvals.close()
        self._locks.close()
        self._deps.close()

    async def aclose(self) -> None:
        """Close the LLM client's connections and the stores: for async owners (the API)."""
        self.approvals.close()
        self._locks.close()
        await self._deps.aclose()

    # -- decisions ---------------------------------------------------------------------------

    async def decide(
        self, request: DecideRequest, *, idempotency_key: str | None = None, caller: Asker = SYSTEM
    ) -> DecisionResult:
        return await self._run(request, idempotency_key, "decision", caller)

    async def brief(
        self, request: DecideRequest, *, idempotency_key: str | None = None, caller: Asker = SYSTEM
    ) -> DecisionResult:
        """A decision with a handoff briefing attached (``record.briefing``)."""
        return await self._run(request, idempotency_key, "briefing", caller)

    async def _run(
        self, request: DecideRequest, idempotency_key: str | None, kind: str, caller: Asker
    ) -> DecisionResult:
        customer_id = request.customer_id or (
            request.profile.customer_id if request.profile else ""
        )
        if request.profile is not None and not caller.override_profiles:
            await self._refuse_posing_as_stored(customer_id)
        async with self._locks.of(customer_id):
            return await self._run_locked(request, customer_id, idempotency_key, kind, caller)

    async def _refuse_posing_as_stored(self, customer_id: str) -> None:
        """An inline profile may not stand in for a stored customer (its consents and caps)."""
        stored = await asyncio.to_thread(self._deps.customers.get_profile, customer_id)
        if stored is not None:
            raise NextbestError(
                f"customer {customer_id!r} is stored: send customer_id without an inline "
                "profile, or update the profile with PUT /v1/customers/{id}",
                ErrorCode.PROFILE_CONFLICT,
                field="profile.customer_id",
            )

    async def _run_locked(
        self,
        request: DecideRequest,
        customer_id: str,
        idempotency_key: str | None,
        kind: str,
        caller: Asker,
    ) -> DecisionResult:
        fingerprint = _fingerprint(request, kind)
        if idempotency_key is not None:
            earlier = await asyncio.to_thread(
                self._deps.decisions.find_by_idempotency_key, customer_id, idempotency_key
            )
            if earlier is not None:
                return self._replay(earlier, fingerprint)
        try:
            decided = await run_decision(
                self._graph,
                self._deps,
                request,
                kind="briefing" if kind == "briefing" else "decision",
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                caller=caller.name,
            )
        except IdempotencyConflict as conflict:  # a concurrent retry won the race
            return self._replay(conflict.existing, fingerprint)
        observe(decided.stored)
        if self._deps.llm is not None:
            observe_breaker({k: b.state for k, b in self._deps.llm.breakers.items()})
        if decided.stored.approval_id is not None:
            await self.approvals.open(decided.stored)
        return DecisionResult(decided.shown)

    @staticmethod
    def _replay(earlier: DecisionRecordV1, fingerprint: str) -> DecisionResult:
        if earlier.request_fingerprint != fingerprint:
            raise NextbestError(
                "Idempotency-Key was already used for a different request "
                f"(decision {earlier.decision_id!r})",
                ErrorCode.IDEMPOTENCY_MISMATCH,
                field="Idempotency-Key",
            )
        return DecisionResult(earlier, replayed=True)

    async def get_decision(self, decision_id: str) -> DecisionRecordV1:
        try:
            record = await asyncio.to_thread(self._deps.decisions.get, decision_id)
        except RecordErased as erased:
            raise NextbestError(str(erased), ErrorCode.DECISION_ERASED) from None
        if record is None:
            raise NextbestError(f"decision {decision_id!r} not found", ErrorCode.DECISION_NOT_FOUND)
        return record

    async def decision_lifecycle(self, decision_id: str) -> Lifecycle:
        """The decision's state, reported and derived outcomes, as of now."""
        outcomes = self._deps.outcomes
        facts = await asyncio.to_thread(outcomes.decision_facts, decision_id)
        if facts is None:
            raise NextbestError(f"decision {decision_id!r} not found", ErrorCode.DECISION_NOT_FOUND)
        config = self._deps.config.outcomes
        followups = await asyncio.to_thread(outcomes.followups, facts, config)
        rows = await asyncio.to_thread(outcomes.outcomes_of, [decision_id])
        return lifecycle(facts, rows[decision_id], followups, self._deps.clock(), config)

    async def decision_states(self, records: Sequence[LoggedDecision]) -> dict[str, DecisionState]:
        """The state of each decision as of now (for listings)."""
        ids = [r.decision_id for r in records]
        rows = await asyncio.to_thread(self._deps.outcomes.outcomes_of, ids)
        linked = await asyncio.to_thread(self._deps.outcomes.linked_executions, ids)
        now, config = self._deps.clock(), self._deps.config.outcomes
        return {
            r.decision_id: state_of(
                r.created_at,
                rows[r.decision_id],
                now,
                config,
                linked_execution=linked.get(r.decision_id),
            )
            for r in records
        }

    # -- outcomes ----------------------------------------------------------------------------

    async def record_outcome(
        self, decision_id: str, report: OutcomeIn, *, caller: Asker = SYSTEM
    ) -> OutcomeResult:
        """Append one report about a decision; the same id again replays the first result."""
        try:
            [appended] = await self._append([(decision_id, report)], caller)
        except OutcomesRejected as rejected:
            raise _one_problem(rejected.problems[0]) from None
        state = (await self.decision_lifecycle(decision_id)).state
        return OutcomeResult(appended.record, appended.replayed, state)

    async def record_outcomes(
        self, reports: Sequence[tuple[str, OutcomeIn]], *, caller: Asker = SYSTEM
    ) -> list[Appended]:
        """Append a batch of ``(decision_id, report)``: all of it, or nothing (422 naming each
        refused item's index)."""
        try:
            return await self._append(reports, caller)
        except OutcomesRejected as rejected:
            raise _batch_problems(rejected, len(reports)) from None

    async def _append(
        self, reports: Sequence[tuple[str, OutcomeIn]], caller: Asker
    ) -> list[Appended]:
        return await asyncio.to_thread(
            self._deps.outcomes.append, reports, now=self._deps.clock(), caller=caller.name
        )

    async def list_decisions(
        self, query: DecisionQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[LoggedDecision]:
        try:
            return await asyncio.to_thread(
                self._deps.decisions.query, query, limit=limit, cursor=cursor
            )
        except InvalidCursor as exc:
            raise NextbestError(str(exc), ErrorCode.INVALID_CURSOR, field="cursor") from None

    async def kpis(self, query: KpiQuery) -> KpiReport:
        """Journey KPIs over the decisions created in the query's window, as of now."""
        return await asyncio.to_thread(
            self._deps.kpis.kpis, query, now=self._deps.clock(), config=self._deps.config.outcomes
        )

    # -- reviews ---------------------------------------------------------------------------

    async def add_review(
        self, decision_id: str, review: ReviewIn, *, caller: Asker = SYSTEM
    ) -> ReviewRecordV1:
        """Append a reviewer's verdict on a decision (404 unknown, 410 erased)."""
        record = await self.get_decision(decision_id)
        now = self._deps.clock()
        stored = ReviewRecordV1(
            review_id=new_id("rev", ms=int(now.timestamp() * 1000)),
            decision_id=record.decision_id,
            customer_id=record.customer_id,
            decision_action=record.chosen.call.type,
            verdict=review.verdict,
            action=review.action,
            tags=review.tags,
            note=scrub(review.note),
            reviewer=caller.name or "system",
            created_at=now,
        )
        return await asyncio.to_thread(self._deps.reviews.append, stored)

    async def list_reviews(
        self, query: ReviewQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[LoggedReview]:
        try:
            return await asyncio.to_thread(
                self._deps.reviews.query, query, limit=limit, cursor=cursor
            )
        except InvalidCursor as exc:
            raise NextbestError(str(exc), ErrorCode.INVALID_CURSOR, field="cursor") from None

    # -- audit -------------------------------------------------------------------------------

    async def verify_log(self, *, since: datetime | None = None) -> VerifyReport:
        """Check the hash chain, every chained row and every signed checkpoint."""
        return await asyncio.to_thread(self._deps.audit.verify, since=since)

    async def sign_checkpoint(self) -> Checkpoint | None:
        """Sign the chain's head (None when it has not grown); refuses, with
        CheckpointRefused, when the chain no longer matches an earlier checkpoint."""
        deps = self._deps
        return await asyncio.to_thread(
            deps.audit.checkpoint, deps.signer, deps.config.audit_origin, deps.clock()
        )

    async def latest_checkpoint(self) -> Checkpoint | None:
        return await asyncio.to_thread(self._deps.audit.latest)

    # -- customers ---------------------------------------------------------------------------

    async def erase_customer(self, customer_id: str, *, caller: Asker = SYSTEM) -> ErasureReceipt:
        """Forget a customer: profile and events deleted, their record key destroyed (their
        decision records and reviews become unreadable; the rows and hashes stay), files made
        from their data (eval scenarios from reviews) deleted, caches that may hold their text
        cleared, and a receipt appended that holds no personal data."""
        deps = self._deps
        profile_deleted, events = await asyncio.to_thread(
            deps.customers.delete_customer, customer_id
        )
        # Before the key goes: the cancel steps are sealed like the rest.
        cancelled = await self.approvals.cancel_customer(customer_id, caller.name or "system")
        sealed = await asyncio.to_thread(deps.decisions.shred, customer_id)
        if not profile_deleted and not events and not sealed:
            raise NextbestError(
                f"customer {customer_id!r} not found: nothing is stored for them",
                ErrorCode.CUSTOMER_NOT_FOUND,
                field="customer_id",
            )
        derived = []
        if cancelled:
            derived.append(f"pending approvals cancelled ({cancelled})")
        files = await asyncio.to_thread(deps.derived.sweep, customer_id)
        if files:
            derived.append(f"files made from their data ({len(files)}): {', '.join(files)}")
        if isinstance(deps.embedder, CachingEmbedder):
            derived.append(f"embedding cache ({deps.embedder.clear()} texts)")
        scrub.cache_clear()
        derived.append("scrubbed-text cache")
        now = deps.clock()
        receipt = ErasureReceipt(
            receipt_id=new_id("era", ms=int(now.timestamp() * 1000)),
            customer_token=deps.privacy.tokenizer.token("customer", customer_id),
            erased_at=now,
            caller=caller.name,
            profile_deleted=profile_deleted,
            events_deleted=events,
            records_sealed=sealed,
            derived_removed=derived,
        )
        return await asyncio.to_thread(deps.erasures.append, receipt)

    async def put_customer(self, profile: Profile) -> bool:
        """Create or replace a profile; True when it was created."""
        return await asyncio.to_thread(self._deps.customers.put_profile, profile)

    async def get_customer(self, customer_id: str) -> Profile:
        profile = await asyncio.to_thread(self._deps.customers.get_profile, customer_id)
        if profile is None:
            raise NextbestError(
                f"customer {customer_id!r} not found",
                ErrorCode.CUSTOMER_NOT_FOUND,
                field="customer_id",
            )
        return profile

    async def list_customers(self, *, limit: int = 50, cursor: str | None = None) -> Page[Profile]:
        try:
            return await asyncio.to_thread(
                self._deps.customers.list_profiles, limit=limit, cursor=cursor
            )
        except InvalidCursor as exc:
            raise NextbestError(str(exc), ErrorCode.INVALID_CURSOR, field="cursor") from None

    async def add_events(self, customer_id: str, events: Sequence[Event]) -> int:
        """Append events to a stored customer; re-sent event ids are ignored. Returns new count."""
        await self.get_customer(customer_id)
        return await asyncio.to_thread(self._deps.customers.append_events, customer_id, events)

    async def customer_events(self, customer_id: str, *, days: int = 30) -> list[Event]:
        await self.get_customer(customer_id)
        since = self._deps.clock() - timedelta(days=days)
        return await asyncio.to_thread(
            self._deps.customers.recent_events,
            customer_id,
            since=since,
            limit=self._deps.config.max_events,
        )

    # -- playbooks ---------------------------------------------------------------------------

    async def list_playbooks(self) -> list[Playbook]:
        return await asyncio.to_thread(self._deps.playbooks.list_active)

    def ingest_playbooks(self, path: Path) -> IngestReport:
        """Validate and upsert playbooks from a file or folder (blocking; for the CLI)."""
        return self._deps.playbooks.ingest(load_playbooks(path))

    async def ingest_playbook_files(self, files: Sequence[tuple[str, str]]) -> IngestReport:
        """Validate ``(file name, Markdown)`` pairs and upsert them, while serving: decisions
        meanwhile see the old set or the new one. A bad file is a 422 naming it and its field,
        and nothing is written."""
        try:
            playbooks = parse_playbooks(files)
        except PlaybookError as exc:
            raise NextbestError(
                str(exc), ErrorCode.INVALID_INPUT, field=f"body.files.{exc.index or 0}.text"
            ) from None
        try:
            return await asyncio.to_thread(self._deps.playbooks.ingest, playbooks)
        except PlaybookError as exc:  # e.g. a version older than the stored one
            raise NextbestError(str(exc), ErrorCode.INVALID_INPUT, field="body.files") from None

    async def check_ready(self) -> dict[str, str]:
        """Each backing component and whether it answers: used by /readyz."""
        return await asyncio.to_thread(self._deps.check)
