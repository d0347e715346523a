"""The playbook store on real Chroma (embedded and a server) with the real embedding model."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

import chromadb
import pytest
from chromadb.api.types import DefaultEmbeddingFunction
from chromadb.config import Settings
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from agent.embeddings import Embedder, MiniLMEmbedder
from agent.playbooks import Playbook, PlaybookError, PlaybookStore, load_playbooks
from agent.playbooks.store import REFRESH_S, _metadata
from tests.agent.playbooks.conftest import OpenStore
from tools import Channel

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[3] / "data" / "demo" / "playbooks"
PLAYBOOKS = load_playbooks(DEMO)


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder, *, model_id: str | None = None) -> None:
        self._inner = inner
        self._model_id = model_id or inner.model_id
        self.texts = 0

    @property
    def model_id(self) -> str:
        return self._model_id

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self._inner.embed(texts)


def _demo(playbook_id: str) -> Playbook:
    return next(p for p in PLAYBOOKS if p.id == playbook_id)


def _variant(playbook_id: str, new_id: str, **update: object) -> Playbook:
    return _demo(playbook_id).model_copy(update={"id": new_id, **update})


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> PlaybookStore:
    store = PlaybookStore.embedded(tmp_path_factory.mktemp("chroma"), embedder)
    report = store.ingest(PLAYBOOKS)
    assert (len(report.added), report.updated, report.unchanged) == (len(PLAYBOOKS), [], [])
    return store


@pytest.fixture
def counting(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


def test_ingests_the_demo_set(demo_store: PlaybookStore) -> None:
    assert demo_store.count() == len(PLAYBOOKS) == 41
    assert [p.id for p in demo_store.list_active()] == sorted(p.id for p in PLAYBOOKS)
    assert demo_store.get("billing-dispute-acknowledge") == _demo("billing-dispute-acknowledge")


@pytest.mark.parametrize(
    ("query", "journey"),
    [
        ("I was charged twice this month", "billing_dispute"),
        ("locked out of my account after too many attempts", "account_access"),
    ],
)
def test_ranks_the_right_journey_first(demo_store: PlaybookStore, query: str, journey: str) -> None:
    hits = demo_store.search(query, k=5)
    assert len(hits) == 5
    assert hits[0].playbook.journey == journey
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > 0.3


def test_journey_filter_keeps_that_journey_and_general(demo_store: PlaybookStore) -> None:
    hits = demo_store.search("I was charged twice this month", k=10, journey="renewal")
    general = sum(p.journey == "general" for p in PLAYBOOKS)
    assert sorted(h.playbook.journey for h in hits) == ["general"] * general + ["renewal"] * 3


def test_journey_with_no_playbooks_falls_back(open_store: OpenStore, embedder: Embedder) -> None:
    store = open_store(embedder)
    store.ingest([p for p in PLAYBOOKS if p.journey in ("billing_dispute", "renewal")])
    query = "I was charged twice this month"
    assert {h.playbook.journey for h in store.search(query, k=8, journey="renewal")} == {"renewal"}
    hits = store.search(query, k=3, journey="no_such_journey")
    assert len(hits) == 3
    assert hits[0].playbook.journey == "billing_dispute"


def test_empty_store_returns_nothing(open_store: OpenStore, embedder: Embedder) -> None:
    store = open_store(embedder)
    assert store.search("anything") == []
    assert store.count() == 0
    assert store.list_active() == []
    assert store.get("billing-dispute-acknowledge") is None
    store.ingest([_demo("billing-dispute-acknowledge")])  # searched empty before: found now
    assert [h.playbook.id for h in store.search("anything")] == ["billing-dispute-acknowledge"]


def test_nearest_to_a_vector_is_the_search_for_its_text(
    demo_store: PlaybookStore, embedder: Embedder
) -> None:
    query = "I was charged twice this month"
    vector = embedder.embed([query])[0]
    by_text = demo_store.search(query, k=5, journey="billing_dispute")
    assert demo_store.nearest(vector, k=5, journey="billing_dispute") == by_text


def test_channel_and_segment_filters(open_store: OpenStore, embedder: Embedder) -> None:
    store = open_store(embedder)
    store.ingest(
        [
            _variant("billing-dispute-acknowledge", "any-channel"),
            _variant("billing-dispute-acknowledge", "chat-only", channels=[Channel.CHAT]),
            _variant("billing-dispute-acknowledge", "smb-only", segments=["smb"]),
        ]
    )
    query = "I was charged twice this month"

    def ids(**filters: object) -> set[str]:
        return {h.playbook.id for h in store.search(query, k=10, **filters)}  # type: ignore[arg-type]

    assert ids() == {"any-channel", "chat-only"}
    assert ids(channel=Channel.CHAT) == {"any-channel", "chat-only"}
    assert ids(channel=Channel.EMAIL) == {"any-channel"}
    assert ids(segment="smb") == {"any-channel", "chat-only", "smb-only"}
    assert ids(segment="enterprise") == {"any-channel", "chat-only"}
    assert ids(channel=Channel.EMAIL, segment="smb") == {"any-channel", "smb-only"}


def test_new_version_deactivates_the_old(open_store: OpenStore, counting: CountingEmbedder) -> None:
    store = open_store(counting)
    v1 = _demo("billing-dispute-acknowledge")
    assert v1.version == 1
    v2 = v1.model_copy(update={"version": 2, "title": "Acknowledge a disputed charge, v2"})
    store.ingest([v1])
    report = store.ingest([v2])
    assert report.added == ["billing-dispute-acknowledge@2"]
    assert store.count() == 1
    assert store.get("billing-dispute-acknowledge") == v2
    assert store.get("billing-dispute-acknowledge", 1) == v1
    assert store.get("billing-dispute-acknowledge", 3) is None
    assert store.list_active() == [v2]
    hits = store.search("disputed charge", k=5)
    assert [h.playbook.key for h in hits] == ["billing-dispute-acknowledge@2"]

    texts = counting.texts
    other = _variant("billing-dispute-acknowledge", "other-id")
    changed_v1 = v1.model_copy(update={"title": "Acknowledge a disputed charge, edited"})
    with pytest.raises(PlaybookError, match="acknowledge@1: older than the stored version 2"):
        store.ingest([other, changed_v1])
    assert counting.texts == texts, "a rejected batch embeds and writes nothing"
    assert store.get("other-id") is None
    assert store.get("billing-dispute-acknowledge", 1) == v1
    assert store.ingest([v1]).unchanged == ["billing-dispute-acknowledge@1"]
    assert store.get("billing-dispute-acknowledge") == v2


def test_older_version_never_stored_is_rejected(open_store: OpenStore, embedder: Embedder) -> None:
    store = open_store(embedder)
    v1 = _demo("claim-update-push").model_copy(update={"version": 1})
    store.ingest([v1.model_copy(update={"version": 3})])
    with pytest.raises(PlaybookError, match=r"claim-update-push@1: older than"):
        store.ingest([v1])
    assert store.get("claim-update-push", 1) is None


def test_both_versions_in_one_batch(open_store: OpenStore, embedder: Embedder) -> None:
    store = open_store(embedder)
    v1 = _demo("claim-update-push").model_copy(update={"version": 1})
    v2 = v1.model_copy(update={"version": 2})
    report = store.ingest([v2, v1])
    assert report.added == ["claim-update-push@1", "claim-update-push@2"]
    assert store.list_active() == [v2]


def test_unchanged_is_not_reembedded(open_store: OpenStore, counting: CountingEmbedder) -> None:
    store = open_store(counting)
    store.ingest(PLAYBOOKS[:5])
    assert counting.texts == 5
    changed = PLAYBOOKS[0].model_copy(update={"talk_track": "Say something else."})
    report = store.ingest([changed, *PLAYBOOKS[1:5]])
    assert counting.texts == 6
    assert report.updated == [changed.key]
    assert report.unchanged == sorted(p.key for p in PLAYBOOKS[1:5])
    assert store.get(changed.id) == changed
    report = store.ingest([changed, *PLAYBOOKS[1:5]])
    assert counting.texts == 6
    assert (report.added, report.updated, len(report.unchanged)) == ([], [], 5)


def test_persists_across_reopening(open_store: OpenStore, counting: CountingEmbedder) -> None:
    first = open_store(counting)
    first.ingest(PLAYBOOKS)
    del first
    embedded = counting.texts
    reopened = open_store(counting)
    assert reopened.count() == len(PLAYBOOKS)
    assert reopened.ingest(PLAYBOOKS).unchanged == sorted(p.key for p in PLAYBOOKS)
    assert counting.texts == embedded
    hits = reopened.search("locked out of my account after too many attempts", k=1)
    assert hits[0].playbook.journey == "account_access"


def test_chromas_own_embedding_function_never_runs(
    monkeypatch: pytest.MonkeyPatch, open_store: OpenStore, embedder: Embedder
) -> None:
    # Chroma's default embeds with an ONNX model it downloads on first use: it must not be used
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("Chroma's own embedding function was called")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", refuse)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", refuse)
    store = open_store(embedder)
    store.ingest(PLAYBOOKS[:3])
    assert len(store.search("I was charged twice", k=2)) == 2
    reopened = open_store(embedder)
    assert reopened.ingest(PLAYBOOKS[:4]).added == [PLAYBOOKS[3].key]


def test_another_embedding_model_embeds_every_row_again(
    open_store: OpenStore, embedder: Embedder, minilm: MiniLMEmbedder
) -> None:
    # An index built by the English model (384 dimensions), then opened with the default
    # multilingual one (512): every version, active or not, is embedded again from its text.
    old = open_store(minilm)
    v1 = _demo("billing-dispute-acknowledge")
    old.ingest([v1, _demo("access-locked-out-guided-reset")])
    old.ingest([v1.model_copy(update={"version": v1.version + 1, "body": v1.body + "\nNew."})])
    counting = CountingEmbedder(embedder)

    store = open_store(counting)

    assert counting.texts == 3
    assert open_store(counting).count() == 2
    assert counting.texts == 3  # opened again with the same model: nothing embedded
    hits = store.search("I was charged twice for one order", k=1)
    assert [(h.playbook.id, h.playbook.version) for h in hits] == [(v1.id, v1.version + 1)]
    assert store.get(v1.id, v1.version) == v1  # the older version survives


def test_search_returns_one_version_per_playbook(tmp_path: Path, embedder: Embedder) -> None:
    # the moment inside an ingest when the new version is active and the old one not yet off
    settings = Settings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(path=str(tmp_path), settings=settings)
    store = PlaybookStore(client, embedder)
    v1 = _demo("billing-dispute-acknowledge")
    v2 = v1.model_copy(update={"version": 2, "body": v1.body + "\nRevised."})
    store.ingest([v1, v2])
    raw = client.get_collection("playbooks")
    old = raw.get(ids=[v1.key], include=["metadatas"])["metadatas"]
    assert old is not None
    assert old[0]["active"] is False
    raw.update(ids=[v1.key], metadatas=[{**old[0], "active": True}])

    hits = store.search("disputed charge on my invoice", k=5)
    assert [h.playbook.key for h in hits] == [v2.key]
    assert store.get(v1.id) == v2


def test_concurrent_search_and_ingest(open_store: OpenStore, embedder: Embedder) -> None:
    store = open_store(embedder)
    store.ingest(PLAYBOOKS)
    base = _demo("billing-dispute-acknowledge")
    versions = [base.model_copy(update={"version": v}) for v in range(2, 7)]

    def ingest() -> None:
        for playbook in versions:
            store.ingest([playbook])

    def search(query: str) -> list[list[str]]:
        return [[h.playbook.key for h in store.search(query, k=8)] for _ in range(15)]

    queries = ["I was charged twice this month", "disputed charge", "locked out of my account"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        writer = pool.submit(ingest)
        readers = [pool.submit(search, q) for q in queries]
        writer.result()
        results = [keys for reader in readers for keys in reader.result()]

    for keys in results:
        ids = [key.split("@")[0] for key in keys]
        assert len(ids) == len(set(ids)), keys
    assert store.get(base.id) == versions[-1]
    assert store.count() == len(PLAYBOOKS)


def test_server_and_embedded_stores_in_one_process_stay_apart(
    chroma_server: tuple[str, int], tmp_path: Path, embedder: Embedder
) -> None:
    # chromadb's client factories write into the Settings they are given: one shared object
    # turned the next embedded store into a client of the last server
    host, port = chroma_server
    remote = PlaybookStore.http(host, port, embedder, collection="apart-remote")
    remote.ingest(PLAYBOOKS[:2])
    first = PlaybookStore.embedded(tmp_path / "one", embedder)
    first.ingest(PLAYBOOKS[:1])
    second = PlaybookStore.embedded(tmp_path / "two", embedder)
    assert (remote.count(), first.count(), second.count()) == (2, 1, 0)
    assert (tmp_path / "one" / "chroma.sqlite3").is_file()
    assert (tmp_path / "two" / "chroma.sqlite3").is_file()


def test_playbooks_for_the_intent_or_selected_by_conditions_join_the_nearest(
    open_store: OpenStore, embedder: Embedder
) -> None:
    store = open_store(embedder)
    care = _demo("general-vulnerable-customer-care")
    assert care.selected_by == "conditions"
    complaint = _demo("complaint-formal-escalation")
    store.ingest([*(p for p in PLAYBOOKS if p.journey == "renewal"), care, complaint])
    vector = embedder.embed(["my renewal letter hid a price rise and I want a formal complaint"])[0]

    assert len(store.nearest(vector, k=2, journey="renewal")) == 2
    nearest = store.candidates(vector, k=2, journey="renewal")
    assert len(nearest) == 3  # the two nearest renewal playbooks, and care (by its conditions)
    assert care.id in {h.playbook.id for h in nearest}
    widened = store.candidates(vector, k=2, journey="renewal", intent="formal_complaint")
    assert {h.playbook.id for h in widened} == {h.playbook.id for h in nearest} | {complaint.id}
    assert [h.score for h in widened] == sorted((h.score for h in widened), reverse=True)
    by_text = {h.playbook.id: h.score for h in store.nearest(vector, k=10)}
    assert all(h.score == pytest.approx(by_text[h.playbook.id]) for h in widened)


def test_an_index_of_older_code_is_read_from_its_rows_playbooks(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    # Rows written before the store kept a snapshot (other metadata keys, no generation):
    # nothing is embedded again, and the rows' own playbooks are what the store reads.
    care, other = _demo("general-vulnerable-customer-care"), _demo("renewal-reminder-service")
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=Settings(anonymized_telemetry=False)
    )
    old = client.create_collection(
        "playbooks",
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": counting.model_id, "index_schema": 2},
    )
    old.add(
        ids=[p.key for p in (care, other)],
        embeddings=counting.embed([p.embedding_text for p in (care, other)]),
        documents=[p.embedding_text for p in (care, other)],
        metadatas=[{**_metadata(p, active=True), "ch_chat": True} for p in (care, other)],
    )
    counting.texts = 0

    store = PlaybookStore.embedded(tmp_path, counting)

    assert counting.texts == 0
    vector = counting.embed(["when does my plan renew"])[0]
    assert {h.playbook.id for h in store.candidates(vector, k=1)} == {other.id, care.id}
    assert PlaybookStore.embedded(tmp_path, counting).count() == 2


@pytest.mark.parametrize(
    "words",
    [
        "I was charged twice this month",
        "locked out of my account after resetting the password",
        "wo bleibt mein Paket",
        "my husband died last week",
        "the app crashes when I open my photos",
    ],
)
def test_the_snapshot_ranks_as_chroma_does(
    demo_store: PlaybookStore, embedder: Embedder, words: str
) -> None:
    vector = embedder.embed([words])[0]
    raw = demo_store._collection.query(  # Chroma's own search over every active playbook
        query_embeddings=[vector],
        n_results=len(PLAYBOOKS),
        where={"active": True},
        include=["metadatas", "distances"],
    )
    chroma = [
        (str(meta["pid"]), 1.0 - distance)
        for meta, distance in zip(raw["metadatas"][0], raw["distances"][0], strict=True)
    ]
    ours = [(h.playbook.id, h.score) for h in demo_store.nearest(vector, k=len(PLAYBOOKS))]

    assert [pid for pid, _ in ours] == [pid for pid, _ in chroma]
    assert [score for _, score in ours] == pytest.approx([max(0.0, s) for _, s in chroma], abs=1e-5)


def test_an_ingest_by_another_process_is_seen_within_the_refresh(
    open_store: OpenStore, embedder: Embedder
) -> None:
    now = [0.0]
    writer = open_store(embedder)
    writer.ingest(PLAYBOOKS[:3])
    reader = open_store(embedder, monotonic=lambda: now[0])  # a clock the test moves
    fresh = _variant("billing-dispute-acknowledge", "billing-new-route", version=1)
    vector = embedder.embed([fresh.embedding_text])[0]
    assert fresh.id not in {h.playbook.id for h in reader.nearest(vector, k=10)}

    writer.ingest([fresh])  # as another worker would, through the same Chroma

    now[0] = REFRESH_S / 2
    assert fresh.id not in {h.playbook.id for h in reader.nearest(vector, k=10)}
    now[0] = REFRESH_S
    assert reader.nearest(vector, k=1)[0].playbook.id == fresh.id
