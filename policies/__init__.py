"""Guards and policy packs: proposals in, verdicts out. Knows tools/, nothing above."""

from __future__ import annotations

from policies.context import (
    CaseFact,
    CaseSource,
    ConsentFact,
    ContactFact,
    CustomerFacts,
    FactSource,
    FactStatus,
    IncentiveFact,
    PolicyContext,
)
from policies.evaluate import GUARDS, evaluate
from policies.pack import PolicyPack, PolicyPackError, load_pack
from policies.precheck import Precheck, precheck
from policies.verdict import Evaluation, Outcome, ReasonCode, Verdict

__all__ = [
    "GUARDS",
    "CaseFact",
    "CaseSource",
    "ConsentFact",
    "ContactFact",
    "CustomerFacts",
    "Evaluation",
    "FactSource",
    "FactStatus",
    "IncentiveFact",
    "Outcome",
    "PolicyContext",
    "PolicyPack",
    "PolicyPackError",
    "Precheck",
    "ReasonCode",
    "Verdict",
    "evaluate",
    "load_pack",
    "precheck",
]
