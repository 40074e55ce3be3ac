"""Protein search for the bot and the CLI: database state, embedding, fan-out search, identity."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from bot.errors import NotFound
from bot.settings import Settings
from handlers.proteins.catalog import Catalog, Embedder
from handlers.proteins.embedders import SequenceEmbedder, check_compatible, load_embedder
from handlers.proteins.executors import BucketExecutor, BucketRef, LoopThread, bucket_ref
from handlers.proteins.identity import MAX_ALIGNMENTS, percent_identity
from handlers.proteins.indexing import IndexParams, index_bytes, recorded
from handlers.proteins.query import ProteinQuery, SearchOptions
from handlers.proteins.search import BucketSearcher, Hit, SearchParams, index_cache_bytes

# New buckets appear only through an ingest; re-reading the manifest this often is plenty for the bot.
STATE_SECONDS = 30.0
# Queries per multi-vector request in batch mode: large enough to amortise each bucket's scan.
BATCH_QUERIES = 256


@dataclass(frozen=True)
class DatabaseInfo:
    """What `/protein info` and the Home tab show."""

    uri: str
    buckets: dict[str, int]
    embedder: Embedder | None
    indexes: dict[str, IndexParams]

    @property
    def rows(self) -> int:
        """Proteins in all buckets."""
        return sum(self.buckets.values())

    def refs(self, storage_options: dict[str, str] | None, cache_mb: int = 0) -> list[BucketRef]:
        """A reference per bucket; its generation changes with the bucket's rows or index, so workers refresh it."""
        prewarm = self.indexes_fit(cache_mb)
        refs = []
        for name, rows in self.buckets.items():
            params = self.indexes.get(name)
            kind = params.type if params else ""
            generation = f"{rows}:{params.built_at if params else ''}"
            bits = params.num_bits if params else 0
            warm = prewarm and kind.startswith("IVF")
            refs.append(bucket_ref(self.uri, name, storage_options, generation, cache_mb, kind, bits, warm))
        return refs

    def indexes_fit(self, cache_mb: int) -> bool:
        """Whether every bucket's vector index fits the index cache of a process with this budget (0: LanceDB's
        own, not sized here, so never): then opening a bucket loads its whole index once."""
        dimension = self.embedder.dimension if self.embedder else 0
        needed = sum(index_bytes(params, dimension) for params in self.indexes.values())
        return cache_mb > 0 and 0 < needed <= index_cache_bytes(cache_mb)


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query."""

    query: ProteinQuery
    params: SearchParams
    hits: list[Hit]
    buckets: int
    seconds: float


def search_defaults(settings: Settings) -> SearchParams:
    """The configured search defaults. The refine factor only when OPSBOT_PROTEIN_REFINE_FACTOR is set: otherwise
    each bucket gets its index type's own (an IVF-RQ bucket needs half the re-ranking of an IVF-PQ one)."""
    return SearchParams(nprobes=settings.protein_nprobes, refine_factor=settings.protein_refine_factor)


class ProteinService:
    """One protein database, searched by id or sequence across all its buckets."""

    def __init__(
        self,
        uri: str,
        *,
        storage_options: dict[str, str] | None = None,
        embedder: str = "kmer-hash-v1",
        defaults: SearchParams | None = None,
        executor: BucketExecutor | None = None,
        cache_mb: int = 0,
    ) -> None:
        self.uri = uri
        self.storage_options = storage_options
        # LanceDB's index and metadata caches of the processes that query (0: LanceDB's defaults).
        self.cache_mb = cache_mb
        self.catalog = Catalog(uri, storage_options)
        # The per-bucket queries run on this process's loop by default, or as Ray tasks.
        self.searcher = BucketSearcher(executor)
        self.embedder_spec = embedder
        self.defaults = defaults or SearchParams()
        self._embedder: SequenceEmbedder | None = None
        self._loop = LoopThread("proteins-search")
        self._lock = threading.Lock()
        self._state: tuple[float, DatabaseInfo] | None = None

    def info(self, fresh: bool = False) -> DatabaseInfo:
        """Buckets, rows, embedder and index parameters (cached for a few seconds)."""
        with self._lock:
            if fresh or self._state is None or time.monotonic() - self._state[0] > STATE_SECONDS:
                info = DatabaseInfo(self.uri, self.catalog.buckets(), self.catalog.embedder(), recorded(self.catalog))
                self._state = (time.monotonic(), info)
            return self._state[1]

    def params(self, options: SearchOptions) -> SearchParams:
        """The defaults with the user's options applied."""
        return SearchParams(
            k=options.k or self.defaults.k,
            nprobes=options.nprobes or self.defaults.nprobes,
            refine_factor=options.refine_factor or self.defaults.refine_factor,  # None: per index type
        )

    def embedder(self) -> SequenceEmbedder:
        """The configured embedder, loaded on first use."""
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.embedder_spec)
            return self._embedder

    def embed(self, sequences: list[str]) -> np.ndarray:
        """Sequences as vectors of the database's space; refused when the embedders differ."""
        embedder = self.embedder()
        check_compatible(embedder, self._buckets_info().embedder)
        return np.asarray(embedder.embed_many(sequences), dtype=np.float32)

    def _buckets_info(self) -> DatabaseInfo:
        info = self.info()
        if not info.buckets:
            raise NotFound(f"the protein database at {self.uri} has no buckets yet: run `opsbot proteins ingest`")
        return info

    def search(self, query: ProteinQuery, options: SearchOptions | None = None) -> SearchResult:
        """The nearest proteins to a stored protein or a sequence, with percent identity where sequences are stored."""
        params = self.params(options or SearchOptions())
        buckets = self._buckets_info().refs(self.storage_options, self.cache_mb)
        started = time.perf_counter()
        if query.kind == "id":
            stored = self._loop.run(self.searcher.lookup(buckets, query.value))
            if stored is None:
                raise NotFound(f"No protein with id `{query.value}` in the database.")
            vector, sequence = stored.vector[None, :], stored.sequence
        else:
            vector, sequence = self.embed([query.value]), query.value
        hits = self._loop.run(self.searcher.search(buckets, vector, params))[0]
        if sequence:
            hits = [
                hit.with_identity(
                    percent_identity(sequence, hit.sequence) if hit.sequence and i < MAX_ALIGNMENTS else None
                )
                for i, hit in enumerate(hits)
            ]
        return SearchResult(query, params, hits, len(buckets), time.perf_counter() - started)

    def search_vectors(self, vectors: np.ndarray, params: SearchParams) -> list[list[Hit]]:
        """Batch mode: the top k of many query vectors, a few hundred per request to every bucket."""
        buckets = self._buckets_info().refs(self.storage_options, self.cache_mb)
        results: list[list[Hit]] = []
        for start in range(0, len(vectors), BATCH_QUERIES):
            chunk = np.asarray(vectors[start : start + BATCH_QUERIES], dtype=np.float32)
            results += self._loop.run(self.searcher.search(buckets, chunk, params))
        return results

    def close(self) -> None:
        """Stop the search loop."""
        self._loop.close()
