"""The KPI queries: indexed aggregates over the decision log, its outcomes and events, never a
scan of records in Python. They use the same predicates as a decision's lifecycle
(:mod:`agent.outcomes.sql`), so the KPIs and a decision's page cannot disagree."""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Protocol

from agent.config import OutcomeConfig
from agent.kpis.models import GroupBy, GroupSums, KpiQuery, KpiReport
from agent.kpis.report import NONE_KEY, build_report
from agent.outcomes.sql import (
    EXECUTION_IN,
    IS_CONTACT,
    LINKED_WHERE,
    REPEAT_WHERE,
    RESPONSE_IN,
    TRANSFER_WHERE,
)
from agent.stores.database import DatabaseTarget, attach
from agent.stores.sqlite import to_micros

__all__ = ["GROUP_COLUMNS", "KpiReader", "SqlKpiReader"]

GROUP_COLUMNS: dict[GroupBy, str] = {
    "journey": "journey",
    "playbook": "playbook_id",
    "action_type": "action_type",
    "channel": "touch_channel",
    "segment": "segment",
    "mode": "mode",
}
"""The decision column each grouping reads (channel: where the touchpoint happened)."""

_MICROS_PER_DAY = 86_400_000_000


_SUMMED = (
    "decisions",
    "executed",
    "declined",
    "expired",
    "accepted",
    "converted",
    "responded",
    "no_response",
    "contacts",
    "contacts_known",
    "repeated",
    "transfers",
    "transfers_squared",
    "effort_sum",
    "effort_squares",
    "safe_defaults",
    "approvals",
)
"""The GroupSums fields the main query returns, in its column order."""


class KpiReader(Protocol):
    def kpis(self, query: KpiQuery, *, now: datetime, config: OutcomeConfig) -> KpiReport: ...

    def close(self) -> None: ...


def _window_case(config: OutcomeConfig) -> str:
    """The response window of ``d.action_type`` in microseconds (NULL: none)."""
    arms = " ".join(
        f"WHEN '{action.value}' THEN {days * _MICROS_PER_DAY}"
        for action, days in sorted(config.response_windows_days.items())
    )
    return f"CASE d.action_type {arms} ELSE NULL END" if arms else "NULL"


def _decisions(query: KpiQuery) -> tuple[str, dict[str, object]]:
    """The window's decisions as CTE ``d``, with the grouped column as ``grp``."""
    column = GROUP_COLUMNS[query.group_by]
    where = ["created_us >= :since", "created_us < :until"]
    params: dict[str, object] = {"since": to_micros(query.since), "until": to_micros(query.until)}
    if query.journey is not None:
        where.append("journey = :journey")
        params["journey"] = query.journey
    if query.kind is not None:
        where.append("kind = :kind")
        params["kind"] = query.kind
    sql = f"""
        SELECT decision_id, customer_id, kind, created_us, effective_us, action_type, direction,
               topic, interaction_id, safe_default, approval_required, effort_score,
               COALESCE({column}, '{NONE_KEY}') AS grp
        FROM decisions WHERE {" AND ".join(where)}
    """
    return sql, params


def _main_sql(decisions: str, config: OutcomeConfig) -> str:
    return f"""
    WITH d AS ({decisions}),
    o AS (
        SELECT o.decision_id,
               MAX(CASE WHEN o.type IN {EXECUTION_IN} THEN 1 ELSE 0 END) AS executed,
               MAX(CASE WHEN o.type = 'declined' THEN 1 ELSE 0 END) AS declined,
               MAX(CASE WHEN o.type IN ('accepted', 'converted') THEN 1 ELSE 0 END) AS accepted,
               MAX(CASE WHEN o.type = 'converted' THEN 1 ELSE 0 END) AS converted,
               MAX(CASE WHEN o.type IN {RESPONSE_IN} THEN 1 ELSE 0 END) AS responded
        FROM outcomes o
        WHERE o.decision_us >= :since AND o.decision_us < :until
        GROUP BY o.decision_us, o.decision_id
    ),
    x AS MATERIALIZED (
        SELECT d.*, {_window_case(config)} AS window_us,
               CASE WHEN COALESCE(o.executed, 0) = 1
                         OR EXISTS (SELECT 1 FROM events e WHERE {LINKED_WHERE})
                    THEN 1 ELSE 0 END AS executed,
               COALESCE(o.declined, 0) AS declined,
               COALESCE(o.accepted, 0) AS accepted,
               COALESCE(o.converted, 0) AS converted,
               COALESCE(o.responded, 0) AS responded,
               CASE WHEN {IS_CONTACT} THEN 1 ELSE 0 END AS contact
        FROM d LEFT JOIN o ON o.decision_id = d.decision_id
    ),
    y AS MATERIALIZED (
        SELECT d.*,
               CASE WHEN d.contact = 1 AND d.created_us + :repeat_us <= :now
                    AND EXISTS (SELECT 1 FROM decisions r WHERE {REPEAT_WHERE})
                    THEN 1 ELSE 0 END AS repeated,
               CASE WHEN d.contact = 1
                    THEN (SELECT COUNT(*) FROM events e WHERE {TRANSFER_WHERE})
                    ELSE 0 END AS transfers
        FROM x AS d
    )
    SELECT grp,
           COUNT(*),
           SUM(executed),
           SUM(CASE WHEN executed = 0 THEN declined ELSE 0 END),
           SUM(CASE WHEN executed = 0 AND declined = 0 AND kind = 'decision'
                     AND approval_required = 0
                     AND created_us + :ttl_us <= :now THEN 1 ELSE 0 END),
           SUM(executed * accepted),
           SUM(executed * converted),
           SUM(CASE WHEN executed = 1 AND window_us IS NOT NULL
                     AND effective_us + window_us <= :now THEN responded ELSE 0 END),
           SUM(CASE WHEN executed = 1 AND window_us IS NOT NULL
                     AND effective_us + window_us <= :now THEN 1 - responded ELSE 0 END),
           SUM(contact),
           SUM(CASE WHEN contact = 1 AND created_us + :repeat_us <= :now THEN 1 ELSE 0 END),
           SUM(repeated),
           SUM(transfers),
           SUM(transfers * transfers),
           SUM(effort_score),
           SUM(effort_score * effort_score),
           SUM(safe_default),
           SUM(approval_required)
    FROM y GROUP BY grp
    """


def _values_sql(decisions: str) -> str:
    """Converted value per group and currency, in cents (exact for 2-decimal amounts)."""
    return f"""
    WITH d AS ({decisions})
    SELECT d.grp, o.value_currency,
           SUM(CAST(ROUND(CAST(o.value_amount AS REAL) * 100) AS INTEGER))
    FROM d JOIN outcomes o ON o.decision_id = d.decision_id
    WHERE o.type = 'converted' AND o.value_amount IS NOT NULL
      AND o.decision_us >= :since AND o.decision_us < :until
    GROUP BY d.grp, o.value_currency
    """


def _denials_sql(decisions: str) -> str:
    """Denied proposals and the decisions they were in, per group, policy and reason."""
    return f"""
    WITH d AS ({decisions}),
    v AS MATERIALIZED (
        SELECT created_us, decision_id, policy_id, reason_code, COUNT(*) AS proposals
        FROM decision_verdicts
        WHERE outcome = 'deny' AND created_us >= :since AND created_us < :until
        GROUP BY created_us, decision_id, policy_id, reason_code
    )
    SELECT d.grp, v.policy_id, v.reason_code, SUM(v.proposals), COUNT(*)
    FROM v JOIN d ON d.created_us = v.created_us AND d.decision_id = v.decision_id
    GROUP BY d.grp, v.policy_id, v.reason_code
    """


def _turnarounds_sql(decisions: str) -> str:
    """Microseconds from each decision that needed approval to a reviewer's verdict."""
    return f"""
    WITH d AS ({decisions}),
    a AS MATERIALIZED (
        SELECT decision_id, created_us, grp FROM d WHERE approval_required = 1
    )
    SELECT a.grp, v.ts_us - a.created_us
    FROM a JOIN approvals v ON v.decision_id = a.decision_id
    WHERE v.step = 1 AND v.kind IN ('approved', 'rejected')
    """


def _slices(query: KpiQuery, parts: int) -> list[KpiQuery]:
    """The window cut into ``parts`` consecutive slices: every figure is a sum over
    decisions, so the slices' sums add up to the window's."""
    step = (query.until - query.since) / parts
    bounds = [query.since + step * i for i in range(parts)] + [query.until]
    return [
        query.model_copy(update={"since": start, "until": end})
        for start, end in itertools.pairwise(bounds)
        if start < end
    ]


class SqlKpiReader:
    """KpiReader on the decision log's database, SQLite or PostgreSQL.

    A database runs one query on one core; the window is cut into slices that run at once on
    their own connections (the drivers release the GIL while a statement runs) and add up."""

    def __init__(self, db: DatabaseTarget, *, parallelism: int | None = None) -> None:
        self._db, self._owns_db = attach(db)
        self._parts = parallelism or min(4, os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self._parts, thread_name_prefix="nextbest-kpis")

    def kpis(self, query: KpiQuery, *, now: datetime, config: OutcomeConfig) -> KpiReport:
        groups: dict[str, GroupSums] = defaultdict(GroupSums)
        slices = _slices(query, self._parts)
        for part in self._pool.map(lambda q: self._sums(q, now, config), slices):
            for key, sums in part.items():
                groups[key].add(sums)
        return build_report(query, groups, now=now, repeat_contact_days=config.repeat_contact_days)

    def _sums(self, query: KpiQuery, now: datetime, config: OutcomeConfig) -> dict[str, GroupSums]:
        decisions, params = _decisions(query)
        params |= {
            "now": to_micros(now),
            "ttl_us": config.reservation_ttl_s * 1_000_000,
            "repeat_us": config.repeat_contact_days * _MICROS_PER_DAY,
            "transfer_us": config.transfer_window_minutes * 60_000_000,
        }
        conn = self._db.connection()
        groups: dict[str, GroupSums] = defaultdict(GroupSums)
        for grp, *figures in conn.execute(_main_sql(decisions, config), params).fetchall():
            sums = groups[grp]
            for name, value in zip(_SUMMED, figures, strict=True):
                setattr(sums, name, value or 0)
        for grp, currency, cents in conn.execute(_values_sql(decisions), params):
            groups[grp].value_cents[currency] = int(cents)
        for grp, policy, reason, proposals, decided in conn.execute(
            _denials_sql(decisions), params
        ):
            groups[grp].denials[(policy, reason)] = (proposals, decided)
        for grp, micros in conn.execute(_turnarounds_sql(decisions), params):
            groups[grp].turnarounds_s.append(micros / 1_000_000)
        return groups

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._owns_db:
            self._db.close()
