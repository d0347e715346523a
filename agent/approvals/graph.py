"""The approval graph: a decision that needs approval pauses here until a human (or the
clock) answers, durably, then the release runs.

    START -> hold (interrupt) -> release -> END

It is a graph of its own, beside the decision graph, so that only decisions that need
approval are checkpointed: the decision graph stays free of checkpoint writes. A thread per
approval (``thread_id`` = the approval id) holds little (the approval and decision ids, then
the verdict); everything else is read from the stores at release. The checkpointer is
LangGraph's SQLite saver on ``approvals.db`` in the data directory, so a paused approval
survives restarts: the verdict resumes the same thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.stores.sqlite import private_file

__all__ = ["ApprovalGraph", "ApprovalState", "Releaser"]


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


class ApprovalGraph:
    """The compiled graph on its checkpointer; blocking (call it from a worker thread)."""

    def __init__(self, path: Path) -> None:
        private_file(path)
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._saver = SqliteSaver(self._conn)
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
        self._conn.close()
