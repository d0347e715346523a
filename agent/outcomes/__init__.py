"""What happens after a decision: outcome rows, the decision's lifecycle, derived outcomes,
and the contact accounting that caps and budgets count.

``models`` holds the rows and views, ``lifecycle`` and ``accounting`` the pure logic; this
package exports those. ``agent.outcomes.store`` holds the Protocol and its SQLite store, and
``agent.outcomes.sql`` the predicates the store and the KPI queries share (import them from
there: the decision record imports this package, and the stores import the record).
"""

from __future__ import annotations

from agent.outcomes.accounting import (
    ACCOUNTING_EVENTS,
    Accounting,
    ConsentWithdrawal,
    LedgerEntry,
    account,
    effective_consents,
)
from agent.outcomes.lifecycle import DecisionFacts, Followups, conflict, lifecycle, state_of
from agent.outcomes.models import (
    EXECUTION_TYPES,
    RESPONSE_TYPES,
    DecisionState,
    DerivedOutcome,
    DerivedType,
    Lifecycle,
    OutcomeIn,
    OutcomeRecordV1,
    OutcomeType,
    OutcomeValue,
)

__all__ = [
    "ACCOUNTING_EVENTS",
    "EXECUTION_TYPES",
    "RESPONSE_TYPES",
    "Accounting",
    "ConsentWithdrawal",
    "DecisionFacts",
    "DecisionState",
    "DerivedOutcome",
    "DerivedType",
    "Followups",
    "LedgerEntry",
    "Lifecycle",
    "OutcomeIn",
    "OutcomeRecordV1",
    "OutcomeType",
    "OutcomeValue",
    "account",
    "conflict",
    "effective_consents",
    "lifecycle",
    "state_of",
]
