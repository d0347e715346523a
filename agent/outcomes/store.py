"""The outcome store: append-only outcome rows beside the decision log, and the reads that
accounting and the lifecycle need (the ledger, a decision's facts and follow-ups).

A batch of reports is all-or-nothing: every report is checked inside one write transaction
(the decision exists, the same id replays, nothing contradicts), and one problem writes none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, Protocol

from agent.audit.chain import append_entry
from agent.config import OutcomeConfig
from agent.outcomes.accounting import LedgerEntry
from agent.outcomes.lifecycle import DecisionFacts, Followups, conflict
from agent.outcomes.models import OutcomeIn, OutcomeRecordV1
from agent.outcomes.sql import (
    EXECUTION_IN,
    IS_CONTACT,
    LINKED_WHERE,
    REPEAT_WHERE,
    TRANSFER_WHERE,
)
from agent.privacy.scrub import scrub
from agent.stores.database import Connection, DatabaseTarget, attach
from agent.stores.sqlite import from_micros, to_micros
from policies.verdict import Outcome
from tools import ActionType, Channel, Purpose

__all__ = [
    "FUTURE_SKEW",
    "Appended",
    "OutcomeProblem",
    "OutcomeStore",
    "OutcomesRejected",
    "SqlOutcomeStore",
]

FUTURE_SKEW = timedelta(minutes=5)
"""How far in the future a reported ``ts`` may lie (clock skew between systems)."""

ProblemKind = Literal["not_found", "conflict", "mismatch", "invalid"]


@dataclass(frozen=True, slots=True)
class OutcomeProblem:
    """Why one report of a batch was refused."""

    index: int
    field: str
    kind: ProblemKind
    message: str


class OutcomesRejected(Exception):  # noqa: N818 - contract name
    """At least one report was refused; nothing of the batch was written."""

    def __init__(self, problems: Sequence[OutcomeProblem]) -> None:
        super().__init__("; ".join(f"[{p.index}] {p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Appended:
    record: OutcomeRecordV1
    replayed: bool
    """True when the same report (same decision, id and content) was stored before."""


class OutcomeStore(Protocol):
    """Outcome rows and the reads built on them. Blocking and safe to call from many threads."""

    def append(
        self,
        reports: Sequence[tuple[str, OutcomeIn]],
        *,
        now: datetime,
        caller: str | None = None,
    ) -> list[Appended]:
        """Store ``(decision_id, report)`` pairs atomically, as reported by ``caller``; raises
        OutcomesRejected."""
        ...

    def outcomes_of(self, decision_ids: Sequence[str]) -> dict[str, list[OutcomeRecordV1]]:
        """Each decision's outcomes, in the order they were stored."""
        ...

    def linked_executions(self, decision_ids: Sequence[str]) -> dict[str, datetime]:
        """When an accounting event that names the decision first reported it carried out."""
        ...

    def decision_facts(self, decision_id: str) -> DecisionFacts | None: ...

    def followups(self, facts: DecisionFacts, config: OutcomeConfig) -> Followups:
        """Later contacts, transfers and linked events that imply outcomes (as stored now)."""
        ...

    def ledger(
        self, customer_id: str, *, since: datetime, as_of: datetime, source: str = "store"
    ) -> list[LedgerEntry]:
        """The customer's contacts, spends and opened cases decided since ``since`` (or taking
        effect after it), with the outcomes stored by ``as_of``; denied choices left out. Only
        decisions of the same profile ``source``: inline ones never count toward a stored
        customer."""
        ...

    def close(self) -> None: ...


_FACTS = f"""
    SELECT d.decision_id, d.customer_id, d.kind, d.created_us, d.effective_us, d.action_type,
           d.direction, d.topic, {IS_CONTACT}
    FROM decisions d WHERE d.decision_id = ?
"""

_INSERT = (
    "INSERT INTO outcomes (decision_id, outcome_id, customer_id, decision_us, type, ts_us,"
    " recorded_us, value_amount, value_currency, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_LEDGER = f"""
    SELECT d.decision_id, d.kind, d.created_us, d.effective_us, d.action_type, d.channel,
           d.purpose, d.contacts_customer, d.incentive_kind, d.incentive_value,
           d.incentive_currency, d.case_type,
           (SELECT MIN(o.ts_us) FROM outcomes o WHERE o.decision_id = d.decision_id
              AND o.type IN {EXECUTION_IN} AND o.recorded_us <= :as_of),
           EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = d.decision_id
              AND o.type = 'declined' AND o.recorded_us <= :as_of),
           (SELECT MIN(o.ts_us) FROM outcomes o WHERE o.decision_id = d.decision_id
              AND o.type = 'unsubscribed' AND o.recorded_us <= :as_of)
    FROM decisions d
    WHERE d.customer_id = :customer AND d.profile_source = :source
      AND d.outcome != '{Outcome.DENY.value}'
      AND (d.contacts_customer = 1 OR d.incentive_kind IS NOT NULL OR d.case_type IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.decision_id = d.decision_id
                      AND a.step = 1 AND a.ts_us <= :as_of)
      AND (d.created_us >= :since OR d.effective_us >= :since) AND d.created_us <= :as_of
    ORDER BY d.effective_us, d.decision_id
"""


def _micros(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


class SqlOutcomeStore:
    """OutcomeStore on the decision log's database, SQLite or PostgreSQL (``outcomes``)."""

    def __init__(self, db: DatabaseTarget) -> None:
        self._db, self._owns_db = attach(db)

    def append(
        self,
        reports: Sequence[tuple[str, OutcomeIn]],
        *,
        now: datetime,
        caller: str | None = None,
    ) -> list[Appended]:
        problems: list[OutcomeProblem] = []
        results: list[Appended] = []
        with self._db.write() as conn:
            known: dict[str, tuple[DecisionFacts | None, list[OutcomeRecordV1]]] = {}
            for index, (decision_id, report) in enumerate(reports):
                if decision_id not in known:
                    facts = self._facts(conn, decision_id)
                    known[decision_id] = (facts, self._outcomes(conn, [decision_id]))
                facts, earlier = known[decision_id]
                result = self._check(index, decision_id, facts, earlier, report, now, caller)
                if isinstance(result, OutcomeProblem):
                    problems.append(result)
                    continue
                if not result.replayed:
                    earlier.append(result.record)
                results.append(result)
            if problems:
                raise OutcomesRejected(problems)
            for result in results:
                if not result.replayed:
                    record = result.record
                    conn.execute(_INSERT, self._row(record, known))
                    ref = f"{record.decision_id}/{record.outcome_id}"
                    append_entry(conn, "outcomes", ref, to_micros(record.recorded_at))
        return results

    @staticmethod
    def _check(
        index: int,
        decision_id: str,
        facts: DecisionFacts | None,
        earlier: list[OutcomeRecordV1],
        report: OutcomeIn,
        now: datetime,
        caller: str | None,
    ) -> Appended | OutcomeProblem:
        if facts is None:
            return OutcomeProblem(
                index, "decision_id", "not_found", f"decision {decision_id!r} not found"
            )
        fingerprint = report.fingerprint()
        same = next((o for o in earlier if o.outcome_id == report.id), None)
        if same is not None:
            if same.fingerprint == fingerprint:
                return Appended(same, replayed=True)
            return OutcomeProblem(
                index,
                "id",
                "mismatch",
                f"outcome id {report.id!r} was already used for a different report "
                f"on decision {decision_id!r}",
            )
        ts = report.ts or now
        if ts > now + FUTURE_SKEW:
            return OutcomeProblem(index, "ts", "invalid", f"ts {ts.isoformat()} is in the future")
        problem = conflict(facts, earlier, report.type, ts)
        if problem is not None:
            return OutcomeProblem(index, "type", "conflict", problem)
        record = OutcomeRecordV1(
            outcome_id=report.id,
            decision_id=decision_id,
            customer_id=facts.customer_id,
            type=report.type,
            ts=ts,
            recorded_at=now,
            value=report.value,
            source=report.source,
            note=scrub(report.note) if report.note else report.note,
            fingerprint=fingerprint,
            caller=caller,
        )
        return Appended(record, replayed=False)

    @staticmethod
    def _row(
        record: OutcomeRecordV1,
        known: dict[str, tuple[DecisionFacts | None, list[OutcomeRecordV1]]],
    ) -> tuple[object, ...]:
        facts = known[record.decision_id][0]
        assert facts is not None
        value = record.value
        return (
            record.decision_id,
            record.outcome_id,
            record.customer_id,
            to_micros(facts.created_at),
            record.type.value,
            to_micros(record.ts),
            to_micros(record.recorded_at),
            None if value is None else str(value.amount),
            None if value is None else value.currency,
            record.model_dump_json(),
        )

    def outcomes_of(self, decision_ids: Sequence[str]) -> dict[str, list[OutcomeRecordV1]]:
        found: dict[str, list[OutcomeRecordV1]] = {d: [] for d in decision_ids}
        for record in self._outcomes(self._db.connection(), decision_ids):
            found[record.decision_id].append(record)
        return found

    def linked_executions(self, decision_ids: Sequence[str]) -> dict[str, datetime]:
        if not decision_ids:
            return {}
        marks = ", ".join("?" * len(decision_ids))
        rows = (
            self._db.connection()
            .execute(
                f"SELECT d.decision_id, MIN(e.ts_us) FROM decisions d, events e"
                f" WHERE d.decision_id IN ({marks}) AND {LINKED_WHERE} GROUP BY d.decision_id",
                tuple(decision_ids),
            )
            .fetchall()
        )
        return {decision_id: from_micros(us) for decision_id, us in rows}

    @staticmethod
    def _outcomes(conn: Connection, decision_ids: Sequence[str]) -> list[OutcomeRecordV1]:
        if not decision_ids:
            return []
        marks = ", ".join("?" * len(decision_ids))
        rows = conn.execute(
            f"SELECT body FROM outcomes WHERE decision_id IN ({marks}) ORDER BY seq",
            tuple(decision_ids),
        ).fetchall()
        return [OutcomeRecordV1.model_validate_json(body) for (body,) in rows]

    def decision_facts(self, decision_id: str) -> DecisionFacts | None:
        return self._facts(self._db.connection(), decision_id)

    @staticmethod
    def _facts(conn: Connection, decision_id: str) -> DecisionFacts | None:
        row = conn.execute(_FACTS, (decision_id,)).fetchone()
        if row is None:
            return None
        did, customer, kind, created, effective, action, direction, topic, contact = row
        return DecisionFacts(
            decision_id=did,
            customer_id=customer,
            kind=kind,
            created_at=from_micros(created),
            effective_at=from_micros(effective),
            action_type=ActionType(action),
            direction=direction,
            topic=topic,
            is_contact=bool(contact),
        )

    def followups(self, facts: DecisionFacts, config: OutcomeConfig) -> Followups:
        conn = self._db.connection()
        params = {
            "id": facts.decision_id,
            "repeat_us": config.repeat_contact_days * 86_400_000_000,
            "transfer_us": config.transfer_window_minutes * 60_000_000,
        }

        def rows(columns: str, table: str, where: str) -> list[tuple[str, datetime]]:
            found = conn.execute(
                f"SELECT {columns} FROM decisions d, {table}"
                f" WHERE d.decision_id = :id AND {where} ORDER BY 2, 1",
                params,
            ).fetchall()
            return [(ref, from_micros(us)) for ref, us in found]

        repeats = (
            rows("r.decision_id, r.created_us", "decisions r", REPEAT_WHERE)
            if facts.is_contact
            else []
        )
        linked = rows("e.event_id, e.ts_us", "events e", LINKED_WHERE)
        return Followups(
            repeat=repeats[0] if repeats else None,
            transfers=tuple(rows("e.event_id, e.ts_us", "events e", TRANSFER_WHERE)),
            executed_by_event=linked[0] if linked else None,
        )

    def ledger(
        self, customer_id: str, *, since: datetime, as_of: datetime, source: str = "store"
    ) -> list[LedgerEntry]:
        params = {
            "customer": customer_id,
            "since": to_micros(since),
            "as_of": to_micros(as_of),
            "source": source,
        }
        rows = self._db.connection().execute(_LEDGER, params).fetchall()
        return [
            LedgerEntry(
                decision_id=did,
                kind=kind,
                created_at=from_micros(created),
                effective_at=from_micros(effective),
                action_type=ActionType(action),
                channel=None if channel is None else Channel(channel),
                purpose=Purpose(purpose),
                contacts_customer=bool(contacts),
                incentive_kind=ikind,
                incentive_value=None if ivalue is None else Decimal(ivalue),
                incentive_currency=icurrency,
                executed_at=_micros(executed),
                declined=bool(declined),
                unsubscribed_at=_micros(unsubscribed),
                case_type=case_type,
            )
            for (
                did,
                kind,
                created,
                effective,
                action,
                channel,
                purpose,
                contacts,
                ikind,
                ivalue,
                icurrency,
                case_type,
                executed,
                declined,
                unsubscribed,
            ) in rows
        ]

    def close(self) -> None:
        if self._owns_db:
            self._db.close()
