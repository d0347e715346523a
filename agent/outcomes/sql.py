"""The SQL predicates behind derived outcomes, written once for the outcome store and the KPI
queries, so that a decision's page and the KPIs can never disagree.

Each fragment is a condition on a decision row aliased ``d`` (and the row it names), with named
parameters ``:repeat_us`` (the
repeat-contact window) and ``:transfer_us`` (the transfer window), in microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.outcomes.accounting import ACCOUNTING_EVENTS
from agent.outcomes.models import EXECUTION_TYPES, RESPONSE_TYPES

__all__ = [
    "EXECUTION_IN",
    "IS_CONTACT",
    "LINKED_WHERE",
    "REPEAT_WHERE",
    "RESPONSE_IN",
    "TRANSFER_WHERE",
]


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


EXECUTION_IN = _in(EXECUTION_TYPES)
"""``type IN (...)`` of the outcome types that mean the action was carried out."""
RESPONSE_IN = _in(RESPONSE_TYPES)
"""``type IN (...)`` of the outcome types that are a customer response."""
_LINKING_EVENTS_IN = _in(
    t for t in ACCOUNTING_EVENTS if t not in {"case_opened", "case_closed", "unsubscribed"}
)

IS_CONTACT = """(
    d.direction = 'inbound' AND d.kind = 'decision' AND d.topic IS NOT NULL
    AND d.decision_id NOT LIKE '%.released'
    AND (d.interaction_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM decisions p
        WHERE p.customer_id = d.customer_id AND p.interaction_id = d.interaction_id
          AND p.direction = 'inbound' AND p.kind = 'decision'
          AND (p.created_us < d.created_us
               OR (p.created_us = d.created_us AND p.decision_id < d.decision_id))
    ))
)"""
"""An inbound decision (not a briefing) with a topic, first of its interaction; what an
approval released belongs to the contact that asked for it."""

REPEAT_WHERE = """
    r.customer_id = d.customer_id AND r.topic = d.topic
    AND r.direction = 'inbound' AND r.kind = 'decision' AND r.decision_id NOT LIKE '%.released'
    AND r.created_us > d.created_us AND r.created_us <= d.created_us + :repeat_us
    AND (d.interaction_id IS NULL OR r.interaction_id IS NULL
         OR r.interaction_id != d.interaction_id)
"""
"""Over ``decisions r``: a later inbound decision on the same topic within the window, in
another interaction."""

TRANSFER_WHERE = """
    e.customer_id = d.customer_id AND e.type = 'transfer'
    AND e.ts_us >= d.created_us AND e.ts_us < d.created_us + :transfer_us
"""
"""Over ``events e``: a transfer event within the transfer window after the decision."""

LINKED_WHERE = f"""
    e.decision_id = d.decision_id AND e.customer_id = d.customer_id
    AND e.type IN {_LINKING_EVENTS_IN}
"""
"""Over ``events e``: an accounting event that names the decision (its execution)."""
