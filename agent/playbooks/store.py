"""The playbook store: every version of every playbook in Chroma, the newest one retrieved.

Embeddings are computed by our own ``Embedder`` and passed explicitly, so Chroma's default
embedding function (which downloads a model) never runs.

Chroma holds the playbooks; a decision reads a snapshot of the active ones, their vectors in
one matrix, loaded from Chroma and replaced whole when the set changes: an exact search over a
few hundred rows is a matrix product (tens of microseconds) where a filtered Chroma query costs
a millisecond or more, and a reader never sees half of an ingest. An ingest through this store
replaces its snapshot at once; one made by another process sharing the Chroma server changes
the collection's generation, which this store looks at every ``REFRESH_S``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import chromadb
import numpy as np
import numpy.typing as npt
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Embeddings
from chromadb.config import Settings
from pydantic import BaseModel, ConfigDict, Field

from agent.embeddings import Embedder
from agent.playbooks.model import Playbook, PlaybookHit
from agent.playbooks.parse import PlaybookError
from tools import Channel

__all__ = ["GENERAL_JOURNEY", "IngestReport", "PlaybookStore"]

_log = logging.getLogger(__name__)


def _settings() -> Settings:
    # a new object per client: chromadb's client factories write the path, host and API into it
    return Settings(anonymized_telemetry=False)


GENERAL_JOURNEY = "general"
"""Playbooks of this journey apply to every journey (care, contact pressure, ...)."""
REFRESH_S = 1.0
"""How often a store looks for an ingest made by another process (one sharing a Chroma
server): a new generation in the collection's metadata loads a new snapshot."""
WIDENED = 8
"""At most this many playbooks join the nearest: those listing the intent, or selected by
their conditions."""


class IngestReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    added: list[str] = Field(default_factory=list, description="New ids or new versions.")
    updated: list[str] = Field(default_factory=list, description="Same version, changed content.")
    unchanged: list[str] = Field(default_factory=list, description="Identical: not re-embedded.")


def _is_new(playbook: Playbook, stored: dict[str, dict[int, dict[str, Any]]]) -> bool:
    """True when the store held no such version before the ingest."""
    return playbook.version not in stored[playbook.id]


def _vectors(rows: Sequence[Sequence[float]]) -> Embeddings:
    return cast(Embeddings, [np.asarray(row, dtype=np.float32) for row in rows])


def _metadata(playbook: Playbook, *, active: bool) -> dict[str, str | int | bool]:
    """What a row says of its playbook: the playbook itself (``json``), and what finds its
    versions."""
    return {
        "pid": playbook.id,
        "version": playbook.version,
        "journey": playbook.journey,
        "active": active,
        "content_hash": playbook.content_hash,
        "json": playbook.model_dump_json(),
    }


Keep = Callable[[Playbook], bool]


def _serves(channel: Channel | None, segment: str | None) -> Keep:
    """Playbooks for the channel (or every channel) and the segment (or every segment); with
    no segment, only those written for every segment."""

    def keep(playbook: Playbook) -> bool:
        if channel is not None and playbook.channels and channel not in playbook.channels:
            return False
        if not playbook.segments:
            return True
        return segment is not None and segment in playbook.segments

    return keep


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The active playbooks and their unit vectors, row by row, as Chroma held them."""

    generation: str
    playbooks: tuple[Playbook, ...]
    vectors: npt.NDArray[np.float32]

    def nearest(self, vector: Sequence[float], k: int, keep: Keep) -> list[PlaybookHit]:
        """The ``k`` most similar playbooks that ``keep`` accepts, best first (exact cosine)."""
        if not self.playbooks or k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        similarities = self.vectors @ (query / (float(np.linalg.norm(query)) or 1.0))
        hits: list[PlaybookHit] = []
        for row in np.argsort(-similarities, kind="stable"):
            playbook = self.playbooks[int(row)]
            if keep(playbook):
                score = min(1.0, max(0.0, float(similarities[row])))
                hits.append(PlaybookHit(playbook=playbook, score=score))
                if len(hits) == k:
                    break
        return hits


class PlaybookStore:
    def __init__(
        self,
        client: ClientAPI,
        embedder: Embedder,
        *,
        collection: str = "playbooks",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._embedder = embedder
        self._client, self._name, self._monotonic = client, collection, monotonic
        self._collection = self._open(client, collection)
        stored = (self._collection.metadata or {}).get("embedding_model")
        if stored is not None and stored != embedder.model_id:
            # Vectors of two models are not comparable: every row is embedded again.
            self._collection = self._reembed(client, collection, str(stored))
        self._ingesting = threading.Lock()
        """One ingest at a time."""
        self._swap = threading.Lock()
        """Held while an ingest writes and replaces the snapshot, and while Chroma is read
        directly (get, list, count): readers see the set before an ingest or after it, never
        half of it. A decision reads the snapshot, without waiting."""
        self._playbooks: dict[str, Playbook] = {}
        """Parsed playbooks by id, version and content hash."""
        self._snapshot = self._load()
        self._checked = self._monotonic()

    def _collection_metadata(self) -> dict[str, str]:
        """The model the vectors come from, and a new generation: each ingest writes one."""
        return {"embedding_model": self._embedder.model_id, "generation": uuid.uuid4().hex}

    def _generation(self) -> str:
        """The collection's generation as Chroma holds it now (another process may change it)."""
        collection = self._client.get_collection(self._name, embedding_function=None)
        metadata = collection.metadata or {}
        return str(metadata.get("generation", ""))

    def _load(self) -> _Snapshot:
        """A snapshot of the active rows (the newest, should two versions of a playbook both
        be active: a moment of an ingest by another process)."""
        generation = self._generation()
        rows = self._collection.get(where={"active": True}, include=["embeddings", "metadatas"])
        newest: dict[str, tuple[Playbook, Sequence[float]]] = {}
        vectors = rows["embeddings"] if rows["embeddings"] is not None else []
        for meta, vector in zip(rows["metadatas"] or [], vectors, strict=True):
            playbook = self._parsed(meta)
            seen = newest.get(playbook.id)
            if seen is None or seen[0].version < playbook.version:
                newest[playbook.id] = (playbook, vector)
        ordered = sorted(newest.values(), key=lambda item: item[0].id)
        matrix = np.array([v for _, v in ordered], dtype=np.float32)
        if ordered:
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix = (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)
        return _Snapshot(generation, tuple(p for p, _ in ordered), matrix)

    def _current(self) -> _Snapshot:
        """This store's snapshot, loaded again when another process changed the set."""
        now = self._monotonic()
        if now - self._checked < REFRESH_S:
            return self._snapshot
        with self._swap:
            if now - self._checked >= REFRESH_S:
                if self._generation() != self._snapshot.generation:
                    self._snapshot = self._load()
                self._checked = now
        return self._snapshot

    def _open(self, client: ClientAPI, name: str) -> Collection:
        return client.get_or_create_collection(
            name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=self._collection_metadata(),
        )

    def _reembed(self, client: ClientAPI, name: str, stored: str) -> Collection:
        """The collection rebuilt with this store's model, from the rows' own documents and
        metadata (every version, active or not). The models' dimensions may differ, so the
        rows move to a new collection of the same name."""
        rows = self._collection.get(include=["documents", "metadatas"])
        ids, documents = rows["ids"], rows["documents"] or []
        metadatas = rows["metadatas"] or []
        _log.warning(
            "playbook index: %d rows were embedded with %s; embedding them again with %s",
            len(ids),
            stored,
            self._embedder.model_id,
        )
        vectors = self._embedder.embed(list(documents)) if ids else []
        client.delete_collection(name)
        fresh = self._open(client, name)
        if ids:
            fresh.add(
                ids=list(ids),
                embeddings=_vectors(vectors),
                documents=list(documents),
                metadatas=list(metadatas),
            )
        return fresh

    @classmethod
    def embedded(
        cls,
        path: Path,
        embedder: Embedder,
        *,
        collection: str = "playbooks",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> PlaybookStore:
        """An embedded store in ``path``: one process only (not process-safe)."""
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=_settings())
        return cls(client, embedder, collection=collection, monotonic=monotonic)

    @classmethod
    def http(
        cls,
        host: str,
        port: int,
        embedder: Embedder,
        *,
        collection: str = "playbooks",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> PlaybookStore:
        """A Chroma server: what many API workers share."""
        client = chromadb.HttpClient(host=host, port=port, settings=_settings())
        return cls(client, embedder, collection=collection, monotonic=monotonic)

    def _versions(self, playbook_id: str) -> dict[int, dict[str, Any]]:
        found = self._collection.get(where={"pid": playbook_id}, include=["metadatas"])
        return {int(str(m["version"])): dict(m) for m in found["metadatas"] or []}

    def ingest(self, playbooks: Sequence[Playbook]) -> IngestReport:
        """Upsert each version; unchanged content is not re-embedded; the newest is active.

        The new and changed playbooks are embedded first; the writes then happen while
        readers wait (a moment), so a search sees the whole old set or the whole new one."""
        with self._ingesting:
            self._reject_older(playbooks)
            ordered = sorted(playbooks, key=lambda p: (p.id, p.version))
            stored = {p.id: self._versions(p.id) for p in ordered}
            changed = [
                p
                for p in ordered
                if (found := stored[p.id].get(p.version)) is None
                or found["content_hash"] != p.content_hash
            ]
            vectors = self._embedder.embed([p.embedding_text for p in changed]) if changed else []
            with self._swap:
                try:
                    for playbook, vector in zip(changed, vectors, strict=True):
                        versions = self._versions(playbook.id)
                        is_newest = playbook.version >= max(versions, default=0)
                        self._collection.upsert(
                            ids=[playbook.key],
                            embeddings=_vectors([vector]),
                            documents=[playbook.embedding_text],
                            metadatas=[_metadata(playbook, active=is_newest)],
                        )
                        if is_newest:
                            self._deactivate_older(playbook, versions)
                finally:
                    if changed:  # what Chroma holds now, even after a failed write
                        self._collection.modify(metadata=self._collection_metadata())
                        self._snapshot = self._load()
        keys = {p.key for p in changed}
        return IngestReport(
            added=[p.key for p in changed if _is_new(p, stored)],
            updated=[p.key for p in changed if not _is_new(p, stored)],
            unchanged=[p.key for p in ordered if p.key not in keys],
        )

    def _reject_older(self, playbooks: Sequence[Playbook]) -> None:
        """A new or changed version older than the stored newest is an error, checked before
        any write so a rejected batch leaves the store as it was."""
        for playbook in playbooks:
            versions = self._versions(playbook.id)
            newest = max(versions, default=0)
            stored = versions.get(playbook.version)
            same = stored is not None and stored["content_hash"] == playbook.content_hash
            if playbook.version < newest and not same:
                raise PlaybookError(
                    f"{playbook.key}: older than the stored version {newest}; bump the version"
                )

    def _deactivate_older(self, playbook: Playbook, versions: dict[int, dict[str, Any]]) -> None:
        for version, meta in versions.items():
            if version < playbook.version and meta.get("active"):
                self._collection.update(
                    ids=[f"{playbook.id}@{version}"], metadatas=[{**meta, "active": False}]
                )

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        journey: str | None = None,
        channel: Channel | None = None,
        segment: str | None = None,
    ) -> list[PlaybookHit]:
        """Nearest active playbooks to a text: :meth:`nearest` to its embedding."""
        vector = self._embedder.embed([query])[0]
        return self.nearest(vector, k=k, journey=journey, channel=channel, segment=segment)

    def nearest(
        self,
        vector: Sequence[float],
        *,
        k: int = 5,
        journey: str | None = None,
        channel: Channel | None = None,
        segment: str | None = None,
    ) -> list[PlaybookHit]:
        """Nearest active playbooks to a unit vector of this store's embedding model. A
        journey filter keeps that journey's playbooks and the ``general`` ones (which apply to
        every journey); when it finds nothing it is dropped."""
        return self._nearest(self._current(), vector, k, journey, _serves(channel, segment))

    @staticmethod
    def _nearest(
        snapshot: _Snapshot, vector: Sequence[float], k: int, journey: str | None, serves: Keep
    ) -> list[PlaybookHit]:
        hits: list[PlaybookHit] = []
        if journey is not None:
            journeys = {journey, GENERAL_JOURNEY}
            hits = snapshot.nearest(vector, k, lambda p: p.journey in journeys and serves(p))
        return hits or snapshot.nearest(vector, k, serves)

    def candidates(
        self,
        vector: Sequence[float],
        *,
        k: int = 5,
        journey: str | None = None,
        channel: Channel | None = None,
        segment: str | None = None,
        intent: str | None = None,
    ) -> list[PlaybookHit]:
        """What a decision considers: the :meth:`nearest` ``k``, and beyond them the nearest
        few that list ``intent`` (of any journey: the customer's words name it) and those
        selected by their conditions, each with its own similarity. A playbook written for
        what the customer said, or for the state they are in, is never crowded out by ones
        whose words happen to be closer."""
        snapshot, serves = self._current(), _serves(channel, segment)
        hits = self._nearest(snapshot, vector, k, journey, serves)
        seen = {h.playbook.id for h in hits}

        def targeted(playbook: Playbook) -> bool:
            if playbook.id in seen or not serves(playbook):
                return False
            return playbook.selected_by == "conditions" or intent in playbook.intents

        more = snapshot.nearest(vector, WIDENED, targeted)
        return sorted([*hits, *more], key=lambda h: h.score, reverse=True)

    def probe(self) -> None:
        """A real Chroma query (for readiness): decisions read the snapshot, but a snapshot is
        loaded from Chroma, which must answer."""
        snapshot = self._current()
        if snapshot.playbooks:
            with self._swap:
                self._collection.query(
                    query_embeddings=_vectors([snapshot.vectors[0].tolist()]),
                    n_results=1,
                    where={"active": True},
                    include=["distances"],
                )

    def _parsed(self, meta: Mapping[str, Any]) -> Playbook:
        """The playbook a row's metadata holds, parsed once per content (they are immutable)."""
        key = f"{meta['pid']}@{meta['version']}#{meta['content_hash']}"
        playbook = self._playbooks.get(key)
        if playbook is None:
            playbook = Playbook.model_validate_json(str(meta["json"]))
            self._playbooks[key] = playbook
        return playbook

    def get(self, playbook_id: str, version: int | None = None) -> Playbook | None:
        """A playbook by id: the active version, or the exact one asked for."""
        where: dict[str, Any] = (
            {"$and": [{"pid": playbook_id}, {"version": version}]}
            if version is not None
            else {"$and": [{"pid": playbook_id}, {"active": True}]}
        )
        with self._swap:
            found = self._collection.get(where=where, include=["metadatas"])
        metas = found["metadatas"] or []
        if not metas:
            return None
        newest = max(metas, key=lambda m: int(str(m["version"])))  # one, unless mid-ingest
        return Playbook.model_validate_json(str(newest["json"]))

    def list_active(self) -> list[Playbook]:
        with self._swap:
            found = self._collection.get(where={"active": True}, include=["metadatas"])
        playbooks = [Playbook.model_validate_json(str(m["json"])) for m in found["metadatas"] or []]
        return sorted(playbooks, key=lambda p: p.id)

    def count(self) -> int:
        """Active playbooks."""
        with self._swap:
            return len(self._collection.get(where={"active": True}, include=[])["ids"])
