"""The result of an eval run: versioned, JSON-serializable, and small enough to keep as a baseline.

``EvalResultV1`` holds the run's metadata (no git: the caller knows its commit), one
``ScenarioResult`` per scenario (expected vs got, every evaluator's verdict, a summary of the
decision trace) and the metrics, overall and per journey and tag.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "EvalResultV1",
    "EvaluatorResult",
    "GotAction",
    "GroupMetrics",
    "Metrics",
    "ProposalSummary",
    "RunInfo",
    "ScenarioResult",
    "TraceSummary",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class EvaluatorResult(_Frozen):
    """One evaluator's verdict on one scenario."""

    name: str
    passed: bool
    detail: str = ""
    dangerous: bool = Field(
        default=False, description="A policy violation: counted apart and fails the run."
    )
    score: float | None = Field(default=None, description="A ratio where one applies (recall).")
    count: int | None = Field(default=None, description="A count where one applies (claims).")


class GotAction(_Frozen):
    """What the decision chose, as the evaluators saw it."""

    type: str
    args: dict[str, JsonValue]
    description: str
    outcome: str
    mode: str
    mode_reason: str = ""
    safe_default: bool
    approval_required: bool


class ProposalSummary(_Frozen):
    proposal_id: str
    call: str
    playbook: str | None
    outcome: str
    verdicts: list[str] = Field(description="Non-allow verdicts: policy/outcome/reason: message.")


class TraceSummary(_Frozen):
    """Enough of the decision record to see why it chose what it chose."""

    decision_id: str
    rationale: str
    playbooks: list[str]
    proposals: list[ProposalSummary]
    chosen: str
    planner_notes: list[str] = Field(default_factory=list)


class ScenarioResult(_Frozen):
    id: str
    title: str
    journey: str
    tags: list[str]
    kind: Literal["decision", "briefing"]
    passed: bool
    violation: bool = Field(description="The final action is one a policy forbids.")
    notes: str = Field(default="", description="Why the scenario was written.")
    expected: list[str] = Field(description="The expectations, one line each.")
    got: GotAction | None = Field(default=None, description="None when the run raised.")
    evaluators: list[EvaluatorResult] = Field(default_factory=list)
    latency_ms: float = 0.0
    error: str | None = None
    trace: TraceSummary | None = Field(default=None, description="Left out of baselines.")

    def slim(self) -> ScenarioResult:
        """Pass/fail, what was chosen, and only the evaluators that failed (with why)."""
        got = None if self.got is None else self.got.model_copy(update={"args": {}})
        return self.model_copy(
            update={
                "trace": None,
                "notes": "",
                "expected": [],
                "evaluators": [e for e in self.evaluators if not e.passed],
                "got": got,
            }
        )

    def evaluator(self, name: str) -> EvaluatorResult | None:
        return next((e for e in self.evaluators if e.name == name), None)


class GroupMetrics(_Frozen):
    """The KPIs of a set of scenarios (the whole suite, a journey or a tag)."""

    scenarios: int
    passed: int
    pass_rate: float
    action_accuracy: float = Field(description="Share whose chosen action was acceptable.")
    forbidden_rate: float = Field(description="Share whose chosen action was forbidden.")
    violations: int = Field(description="Final actions a policy forbids: must be 0.")
    violation_rate: float
    fallback_rate: float = Field(description="Share decided by mode fallback_rules.")
    model_used_rate: float = Field(
        default=0.0,
        description="Share decided with the LLM's answer (modes llm and llm_repaired): in LLM "
        "mode, how often the model was there at all.",
    )
    errors: int = Field(default=0, description="Scenarios whose run raised.")
    briefing_fact_recall: float | None = Field(
        default=None, description="Mean recall over briefing scenarios that expect facts."
    )
    unsupported_claims: int = 0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0


class Metrics(_Frozen):
    overall: GroupMetrics
    by_journey: dict[str, GroupMetrics]
    by_tag: dict[str, GroupMetrics]


class RunInfo(_Frozen):
    suite: str
    mode: Literal["rules", "llm"]
    started_at: AwareDatetime
    duration_s: float
    policy_pack: str = Field(description="id@version of the pack the run used.")
    embedding_model: str
    playbooks: int = Field(description="Active playbooks the run retrieved from.")
    llm_model: str | None = None
    nextbest_version: str = ""


class EvalResultV1(_Frozen):
    schema_version: Literal[1] = 1
    run: RunInfo
    metrics: Metrics
    scenarios: list[ScenarioResult]

    def slim(self) -> EvalResultV1:
        """What a stored baseline needs: the metrics and each scenario's outcome, without
        traces, expectations, or the evaluators that passed (the gate reads only these)."""
        return self.model_copy(update={"scenarios": [s.slim() for s in self.scenarios]})

    @property
    def violations(self) -> list[ScenarioResult]:
        return [s for s in self.scenarios if s.violation]

    @property
    def failed(self) -> list[ScenarioResult]:
        return [s for s in self.scenarios if not s.passed]
