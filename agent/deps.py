"""Everything a decision run needs, handed to the graph through LangGraph's run context."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.approvals.store import ApprovalStore, SqliteApprovalStore
from agent.audit.checkpoint import NoteSigner, load_signer
from agent.audit.store import AuditLog, SqliteAuditLog
from agent.config import AgentConfig
from agent.embeddings import CachingEmbedder, Embedder, MiniLMEmbedder, OpenAIEmbedder
from agent.kpis.store import KpiReader, SqliteKpiReader
from agent.llm import LLMClient
from agent.outcomes.store import OutcomeStore, SqliteOutcomeStore
from agent.playbooks.store import PlaybookStore
from agent.privacy import Privacy, load_master_secret
from agent.privacy.derived import DerivedFiles, SqliteDerivedFiles
from agent.privacy.erasure import ErasureLog, SqliteErasureLog
from agent.reviews.store import ReviewStore, SqliteReviewStore
from agent.signals.derive import SignalDeriver
from agent.stores.customers import CustomerStore, SqliteCustomerStore
from agent.stores.decision_log import DecisionLog, SqliteDecisionLog
from agent.stores.sqlite import private_dir
from policies import PolicyPack, load_pack

__all__ = ["Deps", "build_deps"]


@dataclass(frozen=True, slots=True)
class Deps:
    config: AgentConfig
    clock: Callable[[], datetime]
    embedder: Embedder
    customers: CustomerStore
    decisions: DecisionLog
    outcomes: OutcomeStore
    kpis: KpiReader
    erasures: ErasureLog
    audit: AuditLog
    reviews: ReviewStore
    approvals: ApprovalStore
    derived: DerivedFiles
    signer: NoteSigner
    playbooks: PlaybookStore
    deriver: SignalDeriver
    pack: PolicyPack
    privacy: Privacy
    llm: LLMClient | None = None
    """Set when an LLM is configured: the LLM planner plans, the rules planner falls back."""
    monotonic: Callable[[], float] = time.monotonic
    """Seconds for per-decision deadlines (the LLM client uses the same clock)."""

    def with_stores_in(self, config: AgentConfig, clock: Callable[[], datetime]) -> Deps:
        """The same deps on fresh SQLite stores in ``config.data_dir`` and this clock (evals
        and replays: throwaway state, the shared model, playbooks and LLM client). Close them
        with ``close_stores``."""
        return replace(
            self,
            config=config,
            clock=clock,
            customers=SqliteCustomerStore(config.database_path, clock=clock),
            **_stores(config.database_path, self.privacy, self.signer),
        )

    def close_stores(self) -> None:
        for store in (
            self.customers,
            self.decisions,
            self.outcomes,
            self.kpis,
            self.erasures,
            self.audit,
            self.reviews,
            self.approvals,
            self.derived,
        ):
            store.close()

    def close(self) -> None:
        """Close the stores, and the LLM client's connections when no event loop is running
        (from a running loop, use ``aclose``)."""
        if self.llm is not None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                asyncio.run(self.llm.aclose())
        self.close_stores()

    async def aclose(self) -> None:
        """Close the LLM client's connections, then the stores."""
        if self.llm is not None:
            await self.llm.aclose()
        await asyncio.to_thread(self.close_stores)

    def check(self) -> dict[str, str]:
        """Touch each backing component; 'ok' or the error, for /readyz."""
        results: dict[str, str] = {}
        probes: dict[str, Callable[[], object]] = {
            "customers": lambda: self.customers.list_profiles(limit=1),
            "decision_log": lambda: self.decisions.get("dec_readyz"),
            # a real retrieval, so that a broken index is not ready (counting still works)
            "playbooks": lambda: self.playbooks.search("readiness probe", k=1),
        }
        for name, probe in probes.items():
            try:
                probe()
                results[name] = "ok"
            except Exception as exc:  # readiness reports, it does not raise
                results[name] = f"error: {type(exc).__name__}: {exc}"
        return results


def _stores(path: Path, privacy: Privacy, signer: NoteSigner) -> dict[str, Any]:
    """The SQLite stores beside the customer store, on one database file."""
    return {
        "decisions": SqliteDecisionLog(path, cipher=privacy.cipher),
        "outcomes": SqliteOutcomeStore(path),
        "kpis": SqliteKpiReader(path),
        "erasures": SqliteErasureLog(path),
        "audit": SqliteAuditLog(path, signer=signer),
        "reviews": SqliteReviewStore(path, cipher=privacy.cipher),
        "approvals": SqliteApprovalStore(path, cipher=privacy.cipher),
        "derived": SqliteDerivedFiles(path),
    }


def _embedder(config: AgentConfig) -> Embedder:
    if config.embedding == "openai":
        if not config.embedding_api_key:
            raise ValueError("embedding=openai needs an API key (NEXTBEST_EMBEDDING_API_KEY)")
        return OpenAIEmbedder(
            config.embedding_model,
            base_url=config.embedding_base_url,
            api_key=config.embedding_api_key,
        )
    return MiniLMEmbedder()


def build_deps(
    config: AgentConfig,
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
) -> Deps:
    """Open the stores named by ``config`` (creating the data directory when needed), and the
    LLM client when ``config.llm`` is set."""
    private_dir(config.data_dir)
    secret = config.secret_key.get_secret_value() if config.secret_key else None
    privacy = Privacy.from_secret(load_master_secret(config.data_dir, secret))
    signing = config.audit_signing_key.get_secret_value() if config.audit_signing_key else None
    signer = load_signer(config.data_dir, config.audit_origin, signing)
    embedder = CachingEmbedder(_embedder(config))
    if config.chroma_mode == "http":
        playbooks = PlaybookStore.http(config.chroma_host, config.chroma_port, embedder)
    else:
        playbooks = PlaybookStore.embedded(config.chroma_path, embedder)
    return Deps(
        config=config,
        clock=clock,
        embedder=embedder,
        customers=SqliteCustomerStore(config.database_path),
        **_stores(config.database_path, privacy, signer),
        signer=signer,
        playbooks=playbooks,
        deriver=SignalDeriver(embedder),
        pack=load_pack(config.policy_pack),
        privacy=privacy,
        llm=LLMClient(config.llm, clock=monotonic) if config.llm is not None else None,
        monotonic=monotonic,
    )
