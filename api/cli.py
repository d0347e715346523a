"""The ``nextbest`` command line: serve, demo, decide, playbooks."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from textwrap import shorten
from typing import Annotated

import typer
from pydantic import ValidationError

from agent.briefing.compose import describe_call
from agent.context import RequestContext
from agent.demo import DemoCustomer, demo_now, load_demo_customers, seed
from agent.demo_history import HistoryReport, SimulatedClock, seed_history
from agent.errors import NextbestError
from agent.governance import governance_report
from agent.kpis import KpiQuery
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider
from api.cli_audit import audit_app
from api.cli_batch import batch_app
from api.cli_db import db_app
from api.cli_governance import governance_app, print_governance
from api.cli_kpis import kpis_command, kpis_console, print_kpis
from api.cli_llm import llm_app
from api.cli_playbooks import playbooks_app
from api.cli_settings import settings_or_exit
from api.serve_lock import AlreadyServingError, hold_serve_lock
from api.settings import Settings
from evals.cli import eval_app
from policies import Outcome
from tools import Channel

__all__ = ["app", "main"]

app = typer.Typer(help="nextbest: a governed next-best-action agent.", no_args_is_help=True)

_WORKER_START_S = 120
"""How long a worker process may take to start answering before uvicorn restarts it."""
app.add_typer(playbooks_app, name="playbooks")
app.add_typer(eval_app, name="eval")
app.command("kpis")(kpis_command)
app.add_typer(audit_app, name="audit")
app.add_typer(governance_app, name="governance")
app.add_typer(batch_app, name="batch")
app.add_typer(db_app, name="db")
app.add_typer(llm_app, name="llm")


def _decider(settings: Settings, clock: Callable[[], datetime] | None = None) -> Decider:
    return Decider.build(settings.to_agent_config(), clock=clock)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[
        bool,
        typer.Option(help="Seed the demo customers, playbooks and 90 days of history first."),
    ] = False,
    lookalikes: LookalikesOption = None,
) -> None:
    """Serve the HTTP API (docs at /docs)."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from api.app import create_app
    from api.request_log import configure_logging

    settings = settings_or_exit(host=host, port=port)
    try:
        settings.check_serving()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if settings.chroma_mode == "embedded":
        try:
            _lock = hold_serve_lock(settings.data_dir)  # held until the process ends
        except AlreadyServingError as serving:
            typer.echo(
                f"error: {serving} ({settings.data_dir}) on embedded Chroma, which is not "
                "safe for two processes; stop it, or use another NEXTBEST_DATA_DIR",
                err=True,
            )
            raise typer.Exit(2) from None
    if demo:
        clock = SimulatedClock(datetime.now(UTC))
        decider = _decider(settings, clock)
        try:
            report = asyncio.run(seed(decider, clock()))
            typer.echo(
                f"demo data: {report.customers} customers, {report.events} new events, "
                f"{report.playbooks} playbooks in {settings.data_dir}"
            )
            history = asyncio.run(_seed_history(decider, clock, lookalikes))
            typer.echo(_history_line(history))
            if (approvals := _approvals_line(history)) is not None:
                typer.echo(approvals)
            _print_history_kpis(decider, clock())
            _print_governance(decider, clock())
            _print_audit(decider)
        finally:
            decider.close()
    # JSON logs: the app logs each request itself, and uvicorn leaves the handlers to it
    json_logs = settings.log_format == "json"
    log_config = None if json_logs else LOGGING_CONFIG
    if settings.workers > 1:  # each worker builds its own app from the same NEXTBEST_* settings
        if json_logs:  # the supervising process logs too (a worker that died, restarts)
            configure_logging("json")
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_config=log_config,
            access_log=not json_logs,
            # a worker loads the embedding model and opens the stores before it answers: on a
            # small machine with several starting at once that takes longer than uvicorn's 5 s
            timeout_worker_healthcheck=_WORKER_START_S,
        )
    else:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_config=log_config,
            access_log=not json_logs,
        )


LookalikesOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        max=500,
        help="Lookalikes of each demo customer in the seeded 90-day history "
        "(default 48, about 2,200 decisions; 0 seeds no history).",
    ),
]


async def _seed_history(
    decider: Decider, clock: SimulatedClock, lookalikes: int | None
) -> HistoryReport:
    return await seed_history(decider, clock, clock(), lookalikes=lookalikes)


def _history_line(report: HistoryReport) -> str:
    if report.skipped:
        return "demo history: already in the data directory"
    return (
        f"demo history: {report.decisions} decisions, {report.outcomes} outcomes, "
        f"{report.events} events and {report.reviews} reviews of {report.customers} lookalike "
        "customers over 90 days"
    )


def _approvals_line(report: HistoryReport) -> str | None:
    tally = report.approvals
    if report.skipped or not tally:
        return None
    said = ", ".join(f"{count} {status}" for status, count in sorted(tally.items()))
    return (
        f"approvals: {sum(tally.values())} actions waited for a human ({said}); "
        "the queue: GET /v1/approvals?status=pending"
    )


def _print_history_kpis(decider: Decider, now: datetime) -> None:
    """The journey KPIs of the last 90 days, as GET /v1/kpis reports them."""
    query = KpiQuery(since=now - timedelta(days=90), until=now)
    print_kpis(asyncio.run(decider.kpis(query)), kpis_console())


def _print_governance(decider: Decider, now: datetime) -> None:
    """What is unowned or overdue for review, and which rates rose, as governance reads it."""
    print_governance(asyncio.run(governance_report(decider, now)), kpis_console())


def _print_audit(decider: Decider) -> None:
    """Sign the chain's head and verify the whole log, as governance would."""
    asyncio.run(decider.sign_checkpoint())
    report = asyncio.run(decider.verify_log())
    state = "ok" if report.ok else f"BROKEN at {report.first}"
    typer.echo(
        f"\naudit: {report.rows:,} rows in the hash chain, {report.checkpoints} signed "
        f"checkpoint(s), head {report.head[:12]}… · verify {state} in {report.seconds:.2f} s "
        "(nextbest audit verify)"
    )


def _policy_lines(record: DecisionRecordV1) -> list[str]:
    lines = []
    for trace in record.proposals:
        for verdict in trace.evaluation.verdicts:
            if verdict.outcome in (Outcome.DENY, Outcome.MODIFY, Outcome.REQUIRE_APPROVAL):
                what = shorten(describe_call(trace.call), 70, placeholder=" …")
                lines.append(
                    f"    {verdict.outcome:<16} {what}\n"
                    f"{'':21}{verdict.policy_id}/{verdict.reason_code}: {verdict.message}"
                )
    return lines


def _print_demo(customer: DemoCustomer, record: DecisionRecordV1) -> None:
    ctx = customer.context
    profile = customer.profile
    where = f"{ctx.direction} {ctx.channel or ''}".strip()
    typer.echo(f"\n== {profile.customer_id} ({profile.tier}, {profile.timezone}) · {where}")
    if ctx.reason:
        typer.echo(f"   reason: {ctx.reason}")
    typer.echo(f"   ACTION: {describe_call(record.chosen.call)}")
    if record.approval_required:
        typer.echo("   (waits for human approval)")
    policy = _policy_lines(record)
    if policy:
        typer.echo("   policies at work:")
        typer.echo("\n".join(policy))
    if record.briefing is not None:
        b = record.briefing
        excerpt = [
            *b.trying_to_do[:1],
            *b.what_went_wrong[-1:],
            *b.sentiment_and_effort[:2],
            *b.do_not[:1],
        ]
        typer.echo("   briefing:")
        for item in excerpt:
            typer.echo(
                f"    - {shorten(item.text, 110, placeholder=' …')} [{', '.join(item.fact_ids)}]"
            )


@app.command()
def demo(
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh/--keep",
            help="--fresh (default): embedded stores in a temporary data directory, so reruns "
            "match; --keep: seed and decide in the configured stores (NEXTBEST_DATA_DIR, "
            "NEXTBEST_DATABASE_URL).",
        ),
    ] = True,
    lookalikes: LookalikesOption = None,
) -> None:
    """Load the demo data and its 90-day history, and print, per customer, the governed
    decision and a short briefing, then the journey KPIs of the history."""
    settings = settings_or_exit()
    with tempfile.TemporaryDirectory(prefix="nextbest-demo-") as tmp:
        if fresh:  # nothing of the configured stores is touched
            isolated = {"data_dir": Path(tmp), "database_url": None, "chroma_mode": "embedded"}
            settings = settings.model_copy(update=isolated)
        now = demo_now()
        clock = SimulatedClock(now)
        decider = _decider(settings, clock=clock)
        try:
            report = asyncio.run(seed(decider, now))
            typer.echo(
                f"nextbest demo · clock pinned at {now:%Y-%m-%d %H:%M} UTC · "
                f"{report.customers} customers · {report.playbooks} playbooks · "
                f"data in {'a temporary dir' if fresh else settings.data_dir}"
            )
            history = asyncio.run(_seed_history(decider, clock, lookalikes))
            typer.echo(_history_line(history))
            if (approvals := _approvals_line(history)) is not None:
                typer.echo(approvals)
            chosen: Counter[str] = Counter()
            for customer in load_demo_customers(now):
                request = DecideRequest(
                    customer_id=customer.profile.customer_id, context=customer.context
                )
                record = asyncio.run(decider.brief(request)).record
                chosen[record.chosen.call.type] += 1
                _print_demo(customer, record)
            typer.echo(
                "\nactions chosen: " + ", ".join(f"{k} x{v}" for k, v in chosen.most_common())
            )
            _print_history_kpis(decider, now)
            _print_governance(decider, now)
            _print_audit(decider)
        finally:
            decider.close()


@app.command()
def decide(
    customer_id: Annotated[str | None, typer.Option(help="A stored customer.")] = None,
    request: Annotated[
        Path | None, typer.Option(help="A JSON file with a full decide request.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Stated reason for contact.")] = None,
    channel: Annotated[
        Channel | None, typer.Option(help="Channel of the current interaction.")
    ] = None,
    inbound: Annotated[bool, typer.Option(help="The customer contacted us now.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full decision record.")
    ] = False,
) -> None:
    """Decide the next best action for one customer (--customer-id or --request)."""
    if (customer_id is None) == (request is None):
        typer.echo("give exactly one of --customer-id or --request", err=True)
        raise typer.Exit(2)
    try:
        if request is not None:
            body = DecideRequest.model_validate_json(request.read_text())
        else:
            body = DecideRequest(
                customer_id=customer_id,
                context=RequestContext(
                    channel=channel, reason=reason, direction="inbound" if inbound else "outbound"
                ),
            )
    except (ValidationError, OSError) as exc:
        typer.echo(f"invalid request: {exc}", err=True)
        raise typer.Exit(2) from None
    decider = _decider(settings_or_exit())
    try:
        record = asyncio.run(decider.decide(body)).record
    except NextbestError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    finally:
        decider.close()
    if as_json:
        typer.echo(record.model_dump_json(indent=2))
        return
    typer.echo(f"{record.decision_id}: {describe_call(record.chosen.call)}")
    typer.echo(record.rationale)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
