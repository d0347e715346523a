"""The approval graph: a decision that needs approval pauses here until a human (or the
clock) answers, durably, then the release runs.

    START -> hold (interrupt) -> release -> END

It is a graph of its own, beside the decision graph, so that only decisions that need
approval are checkpointed: the decision graph stays free of checkpoint writes. A thread per
approval (``thread_id`` = the approval id) holds little (the approval and decision ids, then
the verdict); everything else is read from the stores at release. The checkpointer is
LangGraph's SQLite saver on ``approvals.db`` in the data directory, or its PostgreSQL saver
in the stores' database when they are in PostgreSQL, so a paused approval survives restarts
(and, in PostgreSQL, is found by every worker on every host): the verdict resumes the same
thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from psycopg import sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from agent.stores.postgres import CONNECT
from agent.stores.sqlite import private_file

__all__ = ["ApprovalGraph", "ApprovalState", "Releaser"]

_SETUP_LOCK = 0x6E657874_61707072
"""The advisory lock key of the PostgreSQL saver's setup ("nextappr")."""


class ApprovalState(TypedDict, total=False):
    approval_id: str
    decision_id: str
    verdict: dict[str, str]
    """kind (approved, rejected, expired, cancelled), actor, reason."""
    released_decision_id: str | None


@dataclass(frozen=True, slots=True)
class Releaser:
    """The run context: what releasing means (the approval desk's, with the stores)."""

    release: Callable[[str, dict[str, str]], str | None]


def _hold(state: ApprovalState) -> dict[str, Any]:
    answer = interrupt({"approval_id": state["approval_id"], "decision_id": state["decision_id"]})
    return {"verdict": answer}


def _release(state: ApprovalState, runtime: Runtime[Releaser]) -> dict[str, Any]:
    released = runtime.context.release(state["approval_id"], state["verdict"])
    return {"released_decision_id": released}


def _after_hold(state: ApprovalState) -> str:
    return END if state["verdict"]["kind"] == "cancelled" else "release"


def _saver_schema(url: str) -> str:
    """The schema of LangGraph's tables, beside the stores' (whose ``checkpoints`` table, the
    audit log's, would clash with LangGraph's): ``<the stores' schema>_approvals``."""
    with psycopg.connect(url, **CONNECT, connect_timeout=10) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
        row = conn.execute("SELECT current_schema()").fetchone()
        schema = f"{row[0] if row and row[0] else 'public'}_approvals"
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    return schema  # the lock ends with the connection


class ApprovalGraph:
    """The compiled graph on its checkpointer; blocking (call it from a worker thread)."""

    def __init__(self, where: Path | str) -> None:
        """``where``: the SQLite file of the checkpoints, or a PostgreSQL URL."""
        self._close: Callable[[], None]
        self._saver: BaseCheckpointSaver[Any]
        if isinstance(where, str):
            schema = _saver_schema(where)

            def configure(conn: psycopg.Connection[DictRow]) -> None:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))

            pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
                where,
                min_size=1,
                max_size=4,
                kwargs={**CONNECT, "prepare_threshold": 0, "row_factory": dict_row},
                configure=configure,
                open=True,
                name="nextbest-approvals",
            )
            saver = PostgresSaver(pool)  # type: ignore[arg-type]
            self._saver, self._close = saver, pool.close
            with pool.connection() as conn:  # one setup at a time across workers
                conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
                try:
                    saver.setup()
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
        else:
            private_file(where)
            local = sqlite3.connect(where, check_same_thread=False)
            self._saver, self._close = SqliteSaver(local), local.close
            self._saver.setup()
        graph: StateGraph[ApprovalState, Releaser, ApprovalState, ApprovalState] = StateGraph(
            ApprovalState, context_schema=Releaser
        )
        graph.add_node("hold", _hold)
        graph.add_node("release", _release)
        graph.add_edge(START, "hold")
        graph.add_conditional_edges("hold", _after_hold, ["release", END])
        graph.add_edge("release", END)
        self._graph: CompiledStateGraph[ApprovalState, Releaser, ApprovalState, ApprovalState] = (
            graph.compile(checkpointer=self._saver)
        )

    @staticmethod
    def _config(approval_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": approval_id}}

    def waiting(self, approval_id: str) -> bool:
        """The thread is paused at hold."""
        snapshot = self._graph.get_state(self._config(approval_id))
        return "hold" in snapshot.next

    def start(self, approval_id: str, decision_id: str, releaser: Releaser) -> None:
        """Run to the interrupt (nothing when the thread is already there)."""
        if self.waiting(approval_id):
            return
        start: ApprovalState = {"approval_id": approval_id, "decision_id": decision_id}
        self._graph.invoke(start, self._config(approval_id), context=releaser)

    def resume(
        self, approval_id: str, decision_id: str, verdict: dict[str, str], releaser: Releaser
    ) -> str | None:
        """Answer the interrupt and run the release; the released decision's id. A thread
        that was lost (or never started) is started first, and one whose release failed runs
        it again, so no verdict goes unanswered."""
        config = self._config(approval_id)
        snapshot = self._graph.get_state(config)
        if not snapshot.values:
            self.start(approval_id, decision_id, releaser)
            snapshot = self._graph.get_state(config)
        if "hold" in snapshot.next:
            answer: Command[Any] = Command(resume=verdict)
            final = self._graph.invoke(answer, config, context=releaser)
        elif snapshot.next:  # the release failed before: run it again
            final = self._graph.invoke(None, config, context=releaser)
        else:
            final = snapshot.values
        released: str | None = final.get("released_decision_id")
        return released

    def forget(self, approval_id: str) -> None:
        """Delete the thread's checkpoints (erasure)."""
        self._saver.delete_thread(approval_id)

    def close(self) -> None:
        self._close()
