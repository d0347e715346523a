"""Everything a decision run needs, handed to the graph through LangGraph's run context."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from threadpoolctl import threadpool_limits

from agent.approvals.store import ApprovalStore, SqlApprovalStore
from agent.audit.checkpoint import NoteSigner, load_signer
from agent.audit.store import AuditLog, SqlAuditLog
from agent.config import AgentConfig
from agent.embeddings import (
    BatchingEmbedder,
    CachingEmbedder,
    Embedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    local_embedder,
)
from agent.kpis.store import KpiReader, SqlKpiReader
from agent.llm import LLMClient
from agent.llm.probe import with_probed_choice
from agent.outcomes.store import OutcomeStore, SqlOutcomeStore
from agent.playbooks.store import PlaybookStore
from agent.privacy import Privacy, load_master_secret
from agent.privacy.derived import DerivedFiles, SqlDerivedFiles
from agent.privacy.erasure import ErasureLog, SqlErasureLog
from agent.reviews.store import ReviewStore, SqlReviewStore
from agent.signals.derive import SignalDeriver
from agent.stores.customers import CustomerStore, SqlCustomerStore
from agent.stores.database import Database, open_database
from agent.stores.decision_log import DecisionLog, SqlDecisionLog
from agent.stores.sqlite import private_dir
from policies import PolicyPack, load_pack

__all__ = ["Deps", "build_deps"]


@dataclass(frozen=True, slots=True)
class Deps:
    config: AgentConfig
    clock: Callable[[], datetime]
    embedder: Embedder
    database: Database
    """The one database every store below shares (SQLite or PostgreSQL)."""
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
        """The same deps on the fresh stores ``config`` names and this clock (evals and
        replays: throwaway state, the shared model, playbooks and LLM client). Close them
        with ``close_stores``."""
        database = _open_database(config)
        return replace(
            self,
            config=config,
            clock=clock,
            database=database,
            **_stores(database, self.privacy, self.signer, clock),
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
        self.database.close()

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
            # a real Chroma query, so that a broken index is not ready (counting still works)
            "playbooks": self.playbooks.probe,
        }
        for name, probe in probes.items():
            try:
                probe()
                results[name] = "ok"
            except Exception as exc:  # readiness reports, it does not raise
                results[name] = f"error: {type(exc).__name__}: {exc}"
        return results


def _open_database(config: AgentConfig) -> Database:
    return open_database(config.database_target, pool_size=config.database_pool_size)


def _stores(
    database: Database, privacy: Privacy, signer: NoteSigner, clock: Callable[[], datetime]
) -> dict[str, Any]:
    """Every store, on the one database."""
    return {
        "customers": SqlCustomerStore(database, clock=clock),
        "decisions": SqlDecisionLog(database, cipher=privacy.cipher),
        "outcomes": SqlOutcomeStore(database),
        "kpis": SqlKpiReader(database),
        "erasures": SqlErasureLog(database),
        "audit": SqlAuditLog(database, signer=signer),
        "reviews": SqlReviewStore(database, cipher=privacy.cipher),
        "approvals": SqlApprovalStore(database, cipher=privacy.cipher),
        "derived": SqlDerivedFiles(database),
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
    local = local_embedder(None if config.embedding == "local" else MiniLMEmbedder.model_id)
    return BatchingEmbedder(local)  # concurrent decisions share model runs


def _llm_client(config: AgentConfig, monotonic: Callable[[], float]) -> LLMClient | None:
    if config.llm is None:
        return None
    return LLMClient(with_probed_choice(config.llm, config.data_dir), clock=monotonic)


def build_deps(
    config: AgentConfig,
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
) -> Deps:
    """Open the stores named by ``config`` (creating the data directory when needed), and the
    LLM client when ``config.llm`` is set."""
    # The service's matrix products are small (a few texts against a thousand examples): a
    # second BLAS thread saves nothing, and OpenBLAS's idle threads spin. Measured: 44 CPU-ms
    # per decision with the default threads, 21 with one.
    threadpool_limits(limits=1, user_api="blas")
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
    database = _open_database(config)
    return Deps(
        config=config,
        clock=clock,
        embedder=embedder,
        database=database,
        **_stores(database, privacy, signer, clock),
        signer=signer,
        playbooks=playbooks,
        deriver=SignalDeriver(embedder),
        pack=load_pack(config.policy_pack),
        privacy=privacy,
        llm=_llm_client(config, monotonic),
        monotonic=monotonic,
    )
