"""The playbook store: every version of every playbook in Chroma, the newest one retrieved.

Embeddings are computed by our own ``Embedder`` and passed explicitly, so Chroma's default
embedding function (which downloads a model) never runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import chromadb
import numpy as np
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
INDEX_SCHEMA = 2
"""The version of the rows' metadata; an index written by older code gets its rows' metadata
rebuilt from their stored playbooks when it is opened."""
WIDENED = 8
"""At most this many playbooks join the nearest: those listing the intent, or selected by
their conditions."""
"""Playbooks of this journey apply to every journey (care, contact pressure, ...)."""


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
    channels = set(playbook.channels) or set(Channel)
    meta: dict[str, str | int | bool] = {
        "pid": playbook.id,
        "version": playbook.version,
        "journey": playbook.journey,
        "active": active,
        "content_hash": playbook.content_hash,
        "seg_any": not playbook.segments,
        "json": playbook.model_dump_json(),
    }
    meta.update({f"ch_{c.value}": c in channels for c in Channel})
    meta.update({f"seg_{s}": True for s in playbook.segments})
    # v2: what a decision considers beyond the nearest (see PlaybookStore.nearest)
    meta["by_conditions"] = playbook.selected_by == "conditions"
    meta.update({f"intent_{i}": True for i in playbook.intents})
    return meta


def _base_filters(channel: Channel | None, segment: str | None) -> list[dict[str, Any]]:
    """Active rows that serve the channel and the segment (or every segment)."""
    base: list[dict[str, Any]] = [{"active": True}]
    if channel is not None:
        base.append({f"ch_{Channel(channel).value}": True})
    if segment is not None:
        base.append({"$or": [{"seg_any": True}, {f"seg_{segment}": True}]})
    else:
        base.append({"seg_any": True})
    return base


class PlaybookStore:
    def __init__(
        self, client: ClientAPI, embedder: Embedder, *, collection: str = "playbooks"
    ) -> None:
        self._embedder = embedder
        self._collection = self._open(client, collection)
        stored = (self._collection.metadata or {}).get("embedding_model")
        if stored is not None and stored != embedder.model_id:
            # Vectors of two models are not comparable: every row is embedded again.
            self._collection = self._reembed(client, collection, str(stored))
        if int((self._collection.metadata or {}).get("index_schema", 1)) < INDEX_SCHEMA:
            self._upgrade_metadata()
        self._ingesting = threading.Lock()
        """One ingest at a time."""
        self._swap = threading.Lock()
        """Held while an ingest writes, and while a reader reads: readers see the set before
        the ingest or after it, never half of it."""
        self._filled = False
        """Seen to hold a playbook: queries no longer count first."""
        self._playbooks: dict[str, Playbook] = {}
        """Parsed playbooks by id, version and content hash."""

    def _collection_metadata(self) -> dict[str, str | int]:
        return {"embedding_model": self._embedder.model_id, "index_schema": INDEX_SCHEMA}

    def _open(self, client: ClientAPI, name: str) -> Collection:
        return client.get_or_create_collection(
            name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=self._collection_metadata(),
        )

    def _upgrade_metadata(self) -> None:
        """Every row's metadata rebuilt from the playbook it stores (its vector stays)."""
        rows = self._collection.get(include=["metadatas"])
        ids, metadatas = rows["ids"], rows["metadatas"] or []
        if ids:
            fresh = [
                _metadata(Playbook.model_validate_json(str(m["json"])), active=bool(m["active"]))
                for m in metadatas
            ]
            self._collection.update(ids=list(ids), metadatas=list(fresh))
        self._collection.modify(metadata=self._collection_metadata())

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
        cls, path: Path, embedder: Embedder, *, collection: str = "playbooks"
    ) -> PlaybookStore:
        """An embedded store in ``path``: one process only (not process-safe)."""
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=_settings())
        return cls(client, embedder, collection=collection)

    @classmethod
    def http(
        cls, host: str, port: int, embedder: Embedder, *, collection: str = "playbooks"
    ) -> PlaybookStore:
        """A Chroma server: what many API workers share."""
        client = chromadb.HttpClient(host=host, port=port, settings=_settings())
        return cls(client, embedder, collection=collection)

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
        base = _base_filters(channel, segment)
        hits: list[PlaybookHit] = []
        if journey is not None:
            journeys = sorted({journey, GENERAL_JOURNEY})
            hits = self._query(vector, k, [*base, {"journey": {"$in": journeys}}])
        return hits or self._query(vector, k, base)

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
        hits = self.nearest(vector, k=k, journey=journey, channel=channel, segment=segment)
        targeted: list[dict[str, Any]] = [{"by_conditions": True}]
        if intent is not None:
            targeted.append({f"intent_{intent}": True})
        either = {"$or": targeted} if len(targeted) > 1 else targeted[0]
        seen = {h.playbook.id for h in hits}
        widened = self._query(vector, WIDENED, [*_base_filters(channel, segment), either])
        more = [h for h in widened if h.playbook.id not in seen]
        return sorted([*hits, *more], key=lambda h: h.score, reverse=True)

    def _query(
        self, vector: Sequence[float], k: int, filters: list[dict[str, Any]]
    ) -> list[PlaybookHit]:
        where: dict[str, Any] = filters[0] if len(filters) == 1 else {"$and": filters}
        with self._swap:
            if not self._filled:
                # an empty collection cannot be queried; once filled it stays so (no deletes)
                if self._collection.count() == 0:
                    return []
                self._filled = True
            result = self._collection.query(
                query_embeddings=_vectors([vector]),
                n_results=k,
                where=where,
                include=["metadatas", "distances"],
            )
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        hits: dict[str, PlaybookHit] = {}
        for meta, distance in zip(metadatas, distances, strict=True):
            playbook = self._parsed(meta)
            seen = hits.get(playbook.id)
            # while an ingest swaps versions, two can be active for a moment: keep the newest
            if seen is None or seen.playbook.version < playbook.version:
                score = min(1.0, max(0.0, 1.0 - float(distance)))
                hits[playbook.id] = PlaybookHit(playbook=playbook, score=score)
        return sorted(hits.values(), key=lambda h: h.score, reverse=True)

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
