"""The HTML report of an eval run: one self-contained file (inline CSS and SVG, no scripts).

Scenario text is data written by people and includes prompt-injection strings on purpose, so
every value is escaped with :func:`html.escape` before it reaches the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from evals.charts import bar_chart, histogram
from evals.gate import GateReport
from evals.result import EvalResultV1, GroupMetrics, ScenarioResult, TraceSummary

__all__ = ["render_html", "write_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .6rem}
.meta{color:#666}.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.card b{display:block;font-size:1.4rem}.bad{color:#c62828}.good{color:#2e7d32}
.banner{padding:.7rem 1rem;border-radius:6px;margin:1rem 0;font-weight:600}
.banner.bad{background:#fdecea}.banner.good{background:#e8f5e9}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;
vertical-align:top;text-align:left}th{background:#f5f5f5}td.n{text-align:right}
tr.violation td{background:#fdecea}ul{margin:.2rem 0;padding-left:1.2rem}
details summary{cursor:pointer;color:#1565c0}code,.mono{font-family:ui-monospace,monospace;
font-size:12px}svg text{font-size:12px;fill:#333}svg .chart-title{font-weight:600}
svg .axis{fill:#777}.charts{display:flex;gap:2rem;flex-wrap:wrap}
"""

_HEADERS = (
    "group",
    "n",
    "passed",
    "accuracy",
    "forbidden",
    "violations",
    "fallback",
    "fact recall",
    "claims",
    "p50 ms",
    "p95 ms",
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ul(items: Iterable[str]) -> str:
    lines = [f"<li>{escape(item)}</li>" for item in items]
    return f"<ul>{''.join(lines)}</ul>" if lines else "-"


def _metrics_rows(groups: dict[str, GroupMetrics]) -> str:
    rows = []
    for name, g in groups.items():
        cells = [
            escape(name),
            str(g.scenarios),
            f"{g.passed}/{g.scenarios}",
            _pct(g.action_accuracy),
            _pct(g.forbidden_rate),
            f'<span class="{"bad" if g.violations else "good"}">{g.violations}</span>',
            _pct(g.fallback_rate),
            _pct(g.briefing_fact_recall),
            str(g.unsupported_claims),
            f"{g.latency_p50_ms:.0f}",
            f"{g.latency_p95_ms:.0f}",
        ]
        tds = "".join(
            f"<td>{c}</td>" if i == 0 else f'<td class="n">{c}</td>' for i, c in enumerate(cells)
        )
        rows.append(f"<tr>{tds}</tr>")
    return "".join(rows)


def _metrics_table(groups: dict[str, GroupMetrics]) -> str:
    head = "".join(f"<th>{h}</th>" for h in _HEADERS)
    return f"<table><tr>{head}</tr>{_metrics_rows(groups)}</table>"


def _trace(trace: TraceSummary | None) -> str:
    if trace is None:
        return "-"
    proposals = [
        f"{p.proposal_id} [{p.outcome}] {p.call}"
        + (f" (playbook {p.playbook})" if p.playbook else "")
        + "".join(f"\n    {v}" for v in p.verdicts)
        for p in trace.proposals
    ]
    body = [
        f"<div class=mono>decision {escape(trace.decision_id)}</div>",
        f"<b>chosen</b> {escape(trace.chosen)}",
        f"<div><b>rationale</b> {escape(trace.rationale)}</div>",
        f"<b>playbooks</b>{_ul(trace.playbooks)}",
        f"<b>proposals and verdicts</b><pre class=mono>{escape(chr(10).join(proposals))}</pre>",
    ]
    if trace.planner_notes:
        body.append(f"<b>planner notes</b>{_ul(trace.planner_notes)}")
    return f"<details><summary>trace</summary>{''.join(body)}</details>"


def _failed_row(s: ScenarioResult) -> str:
    if s.got is not None:
        got = [s.got.description, f"outcome {s.got.outcome} · mode {s.got.mode}"]
        if s.got.safe_default:
            got.append("safe default")
        if s.got.approval_required:
            got.append("waits for approval")
    else:
        got = [f"error: {s.error}"]
    failing = [f"{e.name}: {e.detail}" for e in s.evaluators if not e.passed]
    who = f"<b>{escape(s.id)}</b><br>{escape(s.title)}<br><small>{escape(s.journey)} · "
    who += f"{escape(', '.join(s.tags))}</small>"
    if s.notes:
        who += f"<p class=meta>{escape(s.notes)}</p>"
    if s.violation:
        who = "<b class=bad>POLICY VIOLATION</b><br>" + who
    return (
        f'<tr class="{"violation" if s.violation else ""}"><td>{who}</td>'
        f"<td>{_ul(s.expected)}</td><td>{_ul(got)}</td><td>{_ul(failing)}</td>"
        f"<td>{_trace(s.trace)}</td></tr>"
    )


def _failed_table(result: EvalResultV1) -> str:
    failed = sorted(result.failed, key=lambda s: (not s.violation, s.journey, s.id))
    if not failed:
        return "<p class=good>Every scenario passed.</p>"
    head = "<tr><th>scenario</th><th>expected</th><th>got</th><th>failed</th><th>trace</th></tr>"
    return f"<table>{head}{''.join(_failed_row(s) for s in failed)}</table>"


def _gate(gate: GateReport | None) -> str:
    if gate is None:
        return ""
    if gate.passed:
        text = "Gate passed"
        if gate.baseline_accuracy is not None:
            text += f": accuracy {gate.accuracy:.1%} (baseline {gate.baseline_accuracy:.1%})"
        return f'<div class="banner good">{escape(text)}</div>'
    lines = [*gate.reasons]
    if gate.flipped:
        lines.append("flipped to fail: " + ", ".join(gate.flipped))
    return f'<div class="banner bad">Gate failed{_ul(lines)}</div>'


def _cards(result: EvalResultV1) -> str:
    o = result.metrics.overall
    cards = [
        ("scenarios", str(o.scenarios), ""),
        ("action accuracy", _pct(o.action_accuracy), ""),
        ("policy violations", str(o.violations), "bad" if o.violations else "good"),
        ("forbidden actions", _pct(o.forbidden_rate), "bad" if o.forbidden_rate else ""),
        ("fallback rate", _pct(o.fallback_rate), ""),
        ("fact recall", _pct(o.briefing_fact_recall), ""),
        ("unsupported claims", str(o.unsupported_claims), "bad" if o.unsupported_claims else ""),
        ("latency p50 / p95", f"{o.latency_p50_ms:.0f} / {o.latency_p95_ms:.0f} ms", ""),
    ]
    return "".join(
        f'<div class="card">{escape(label)}<b class="{cls}">{escape(value)}</b></div>'
        for label, value, cls in cards
    )


def render_html(result: EvalResultV1, gate: GateReport | None = None) -> str:
    run = result.run
    journeys = [
        (name, g.action_accuracy, f"({g.scenarios} scenarios)")
        for name, g in result.metrics.by_journey.items()
    ]
    latencies = [s.latency_ms for s in result.scenarios if s.error is None]
    meta = (
        f"suite {run.suite} · mode {run.mode} · pack {run.policy_pack} · {run.playbooks} "
        f"playbooks · {run.embedding_model} · started {run.started_at:%Y-%m-%d %H:%M:%S} UTC · "
        f"{run.duration_s:.1f} s" + (f" · model {run.llm_model}" if run.llm_model else "")
    )
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>nextbest eval: {escape(run.suite)}</title><style>{_CSS}</style></head><body>"
        f"<h1>nextbest eval · {escape(run.suite)}</h1><div class=meta>{escape(meta)}</div>"
        f"{_gate(gate)}<div class=cards>{_cards(result)}</div>"
        f"<div class=charts>{bar_chart(journeys, title='Action accuracy per journey')}"
        f"{histogram(latencies, title='Decision latency')}</div>"
        f"<h2>Failed scenarios ({len(result.failed)})</h2>{_failed_table(result)}"
        f"<h2>Metrics</h2>{_metrics_table({'overall': result.metrics.overall})}"
        f"<h2>Per journey</h2>{_metrics_table(result.metrics.by_journey)}"
        f"<h2>Per tag</h2>{_metrics_table(result.metrics.by_tag)}"
        "</body></html>\n"
    )


def write_html(result: EvalResultV1, path: Path, gate: GateReport | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result, gate), encoding="utf-8")
