"""Nearest proteins across every bucket: one query per bucket, all at once (LanceDB's async API or Ray), merged.

As in the reference, each bucket returns its own nearest by cosine distance and the global answer is the
k smallest of those; a bucket's nearest always include its share of the global k nearest, so merging
loses nothing the per-bucket searches found.

A quantized index (PQ, SQ, RaBitQ) only estimates distances, so its answers are re-ranked by the exact
distance, which reads each candidate's row: on S3, a GET per row. LanceDB's refine does that per bucket,
k x refine rows in every bucket. On object storage the buckets instead return their k x refine best by the
index's estimate, which reads no rows once the index is cached; the estimates of all buckets are ranked
together, only the k x refine best overall have their vectors read and re-ranked, and only the k hits
their ids (and sequences): one bucket's worth of reads for the whole query, however many buckets there
are, in three rounds of calls. On local disk a row read costs microseconds and each round of calls about a
millisecond, so every bucket re-ranks its own with LanceDB's refine, in one call (`bench/proteins.py`,
four buckets of 250,000, nprobes 20, refine 5: 10.7 ms p50 against 14.0 ms re-ranked across buckets, the
same day; recall@10 1.0 both).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa

from handlers.proteins.executors import BucketExecutor, BucketRef, LocalExecutor
from handlers.proteins.sources import EMBEDDING, ID, SEQUENCE
from handlers.proteins.warming import query, running, warm_in_background

DISTANCE = "_distance"
QUERY_INDEX = "query_index"


# Re-ranking by exact distance, per index type, when the user or the settings name no refine factor: the
# smallest that `bench/proteins.py --compare-index-types` found reaching recall@10 1.0 at nprobes 20 on
# 100,000 x 960 (Gaussian mixture; k-mer families saturate earlier). PQ's 60 one-byte codes rank coarsely
# (refine 10: 0.995), SQ's byte per dimension closely (refine 1: 0.97). IVF_FLAT and unindexed buckets keep
# exact distances and need none.
DEFAULT_REFINE = {"IVF_PQ": 20, "IVF_SQ": 2}
# RaBitQ by its bits per dimension, from `bench/proteins.py`. 1 bit at 1,000,000 x 960 in one bucket:
# refine 10 reaches recall@10 0.92, 20 reaches 0.98. 4 bits: refine 2 gives 0.9965 in one bucket of 1,000,000
# but 0.9775 over four of 250,000 re-ranked together (estimates from larger partitions err more); 5 gives
# 1.0 on both. On S3 each re-read row is a GET: k x refine of them per query, whatever the buckets.
RQ_REFINE = {1: 20, 2: 10, 4: 5}
# Index types whose distances are estimates from compressed codes, re-ranked from the rows.
QUANTIZED = ("IVF_PQ", "IVF_SQ", "IVF_RQ")
ROW_ID = "_rowid"


@dataclass(frozen=True)
class SearchParams:
    """How many neighbours, and how hard each bucket's index looks (refine None: its index's default)."""

    k: int = 10
    nprobes: int = 20
    refine_factor: int | None = None

    def refine_for(self, index_type: str, bits: int = 0) -> int | None:
        """The refine factor for a bucket with this index (type, and bits per dimension for RaBitQ): the one
        asked for, else the index's default."""
        if self.refine_factor is not None:
            return self.refine_factor
        if index_type == "IVF_RQ":
            return RQ_REFINE.get(bits, max(RQ_REFINE.values()))
        return DEFAULT_REFINE.get(index_type)

    def reranked(self, ref: BucketRef) -> int | None:
        """The refine factor when this bucket's answers are estimates to re-rank, else None (exact already)."""
        return self.refine_for(ref.index_type, ref.index_bits) if ref.index_type in QUANTIZED else None


@dataclass(frozen=True)
class Hit:
    """One neighbour: cosine distance to the query, where it lives, and identity when sequences are stored."""

    id: str
    distance: float
    bucket: str
    sequence: str | None = None
    identity: float | None = None

    def with_identity(self, identity: float | None) -> Hit:
        """This hit with its percent identity to the query."""
        return replace(self, identity=identity)


@dataclass(frozen=True)
class StoredProtein:
    """A protein found by id: its vector and, when stored, its sequence."""

    id: str
    bucket: str
    vector: np.ndarray
    sequence: str | None


# LanceDB's caches live in a session: the index cache keeps IVF centroids and the PQ codes of partitions
# already probed, the metadata cache the manifests and data-file footers. Without them every query reads
# those again from object storage (about 100 GETs per bucket on S3). One session per database and size,
# shared by every bucket table, so the setting bounds what a process serving one database holds, not each
# table; a process that searches two databases (a benchmark, S3 beside local disk) gives each its own, so
# one does not evict the other's indexes.
_SESSIONS: dict[tuple[str, int], lancedb.Session] = {}
# A connection per database, opened once: it carries the session and the object store's HTTP client.
_CONNECTIONS: dict[tuple[Any, ...], Any] = {}
# Bucket tables opened in this process (the bot's, or a Ray worker's), reused across queries: (uri, name,
# storage options) -> (generation, table, has a sequence column). A new generation moves the same table to
# the bucket's newest version instead of opening it again, so what the caches hold for unchanged files stays.
_OPEN: dict[tuple[Any, ...], tuple[str, Any, bool]] = {}
# Of the cache budget, the index cache gets this share: PQ codes are what queries read most.
INDEX_CACHE_SHARE = 0.75


def session(uri: str, cache_mb: int) -> lancedb.Session | None:
    """The process's LanceDB session for this database and cache budget (None: LanceDB's defaults, 6 GiB +
    1 GiB)."""
    if cache_mb <= 0:
        return None
    if (uri, cache_mb) not in _SESSIONS:
        budget = cache_mb * 1024 * 1024
        index_bytes = index_cache_bytes(cache_mb)
        _SESSIONS[uri, cache_mb] = lancedb.Session(
            index_cache_size_bytes=index_bytes, metadata_cache_size_bytes=budget - index_bytes
        )
    return _SESSIONS[uri, cache_mb]


def index_cache_bytes(cache_mb: int) -> int:
    """The index cache's share of a process's cache budget."""
    return int(cache_mb * 1024 * 1024 * INDEX_CACHE_SHARE)


async def _connection(ref: BucketRef) -> Any:
    key = (ref.uri, ref.storage_options, ref.cache_mb)
    if key not in _CONNECTIONS:
        _CONNECTIONS[key] = await lancedb.connect_async(
            ref.uri, storage_options=ref.options, session=session(ref.uri, ref.cache_mb)
        )
    return _CONNECTIONS[key]


async def _latest(table: Any, generation: str) -> tuple[str, Any, bool] | None:
    """The cached table moved to its newest version, or None when it cannot be (dropped and written anew)."""
    try:
        await table.checkout_latest()
        return generation, table, SEQUENCE in (await table.schema()).names
    except Exception:  # whatever LanceDB raises for a table that is gone: the caller opens it afresh
        return None


async def open_bucket(ref: BucketRef) -> tuple[Any, bool]:
    """The bucket's async table and whether it stores sequences: opened once per process, moved to the newest
    version when the generation changes."""
    key = (ref.uri, ref.name, ref.storage_options, ref.cache_mb)
    cached = _OPEN.get(key)
    if cached is not None and cached[0] != ref.generation:
        cached = await _latest(cached[1], ref.generation)
    if cached is None:
        table = await (await _connection(ref)).open_table(ref.name)
        cached = (ref.generation, table, SEQUENCE in (await table.schema()).names)
    _OPEN[key] = cached
    if ref.prewarm:
        warm_in_background((*key, cached[0]), cached[1])
    return cached[1], cached[2]


@query
async def lookup_bucket(ref: BucketRef, protein_id: str) -> StoredProtein | None:
    """One bucket's row with this id (ids are validated by the caller: no quotes reach the filter)."""
    table, has_sequence = await open_bucket(ref)
    columns = [ID, EMBEDDING, *([SEQUENCE] if has_sequence else [])]
    rows = (await table.query().where(f"{ID} = '{protein_id}'").select(columns).limit(1).to_arrow()).to_pylist()
    if not rows:
        return None
    row = rows[0]
    return StoredProtein(row[ID], ref.name, np.asarray(row[EMBEDDING], np.float32), row.get(SEQUENCE))


def _nearest(table: Any, vectors: np.ndarray, params: SearchParams) -> Any:
    """The bucket's vector query; many vectors go in one request, LanceDB tags each row with its query_index."""
    target = vectors[0] if len(vectors) == 1 else list(vectors)
    return table.query().nearest_to(target).column(EMBEDDING).distance_type("cosine").nprobes(params.nprobes)


@query
async def search_bucket(ref: BucketRef, vectors: np.ndarray, params: SearchParams) -> pa.Table:
    """One bucket's top k for each query vector by exact distance: an unindexed or IVF_FLAT bucket's own,
    or a quantized index's re-ranked within the bucket (LanceDB's refine)."""
    table, has_sequence = await open_bucket(ref)
    query = _nearest(table, vectors, params)
    refine = params.reranked(ref)
    if refine is not None:
        query = query.refine_factor(refine)
    return await query.limit(params.k).select([ID, *([SEQUENCE] if has_sequence else []), DISTANCE]).to_arrow()


@query
async def estimate_bucket(ref: BucketRef, vectors: np.ndarray, params: SearchParams, limit: int) -> pa.Table:
    """One bucket's `limit` nearest by its index's estimate, for each query vector: row ids and estimated
    distances only, so nothing but the (cached) index is read."""
    table, _ = await open_bucket(ref)
    return await _nearest(table, vectors, params).limit(limit).select([DISTANCE]).with_row_id().to_arrow()


@query
async def rerank_bucket(ref: BucketRef, vectors: np.ndarray, wanted: dict[str, list[tuple[int, int]]]) -> pa.Table:
    """The vectors of the rows `wanted[ref.name]` names as (query index, row id), each read once, and their
    exact cosine distance to the query that asked for them: query_index, _rowid, _distance."""
    pairs = wanted.get(ref.name, [])
    table, _ = await open_bucket(ref)
    rows = await _take(table, pairs, [EMBEDDING])
    position = {row: i for i, row in enumerate(rows[ROW_ID].to_pylist())}
    found = [(query, row) for query, row in pairs if row in position]  # a row gone since the estimate: skipped
    at = np.array([position[row] for _, row in found], dtype=np.int64)
    asked = np.array([query for query, _ in found], dtype=np.int64)
    dimension = vectors.shape[1]
    stored = rows[EMBEDDING].combine_chunks().flatten().to_numpy().reshape(rows.num_rows, dimension)[at]
    unit = stored / np.linalg.norm(stored, axis=1, keepdims=True)
    queries = vectors[asked] / np.linalg.norm(vectors[asked], axis=1, keepdims=True)
    distances = (1.0 - np.einsum("ij,ij->i", unit, queries)).astype(np.float32)
    return pa.table(
        {
            QUERY_INDEX: pa.array(asked, pa.uint32()),
            ROW_ID: pa.array([row for _, row in found], pa.uint64()),
            DISTANCE: pa.array(distances, pa.float32()),
        }
    )


@query
async def describe_bucket(ref: BucketRef, wanted: dict[str, list[tuple[int, int]]]) -> pa.Table:
    """The id (and sequence, where stored) of the rows `wanted[ref.name]` names, with their _rowid."""
    table, has_sequence = await open_bucket(ref)
    return await _take(table, wanted.get(ref.name, []), [ID, *([SEQUENCE] if has_sequence else [])])


async def _take(table: Any, pairs: list[tuple[int, int]], columns: list[str]) -> pa.Table:
    """These columns of the rows the (query index, row id) pairs name, each row once, with its _rowid."""
    row_ids = sorted({row for _, row in pairs})
    return await table.take_row_ids(row_ids).select(columns).with_row_id().to_arrow()


class BucketSearcher:
    """The fan-out: every bucket's query through the executor, then the merge."""

    def __init__(self, executor: BucketExecutor | None = None) -> None:
        self.executor = executor or LocalExecutor()

    async def lookup(self, buckets: list[BucketRef], protein_id: str) -> StoredProtein | None:
        """The stored protein with this id, looked up in every bucket at once."""
        async with running():
            found = await self.executor.gather(lookup_bucket, buckets, protein_id)
        return next((f for f in found if f is not None), None)

    async def search(self, buckets: list[BucketRef], vectors: np.ndarray, params: SearchParams) -> list[list[Hit]]:
        """The global top k for each query vector (rows of `vectors`), every bucket queried concurrently."""
        async with running():
            return await self._search(buckets, vectors, params)

    async def _search(self, buckets: list[BucketRef], vectors: np.ndarray, params: SearchParams) -> list[list[Hit]]:
        # Re-ranked across buckets: quantized buckets on object storage. The rest answer exactly on their own.
        def across(ref: BucketRef) -> bool:
            return ref.on_object_store and params.reranked(ref) is not None

        estimated = [ref for ref in buckets if across(ref)]
        exact = [ref for ref in buckets if not across(ref)]
        refine = max((params.reranked(ref) or 1 for ref in estimated), default=1)
        exact_parts, estimates = await asyncio.gather(
            self.executor.gather(search_bucket, exact, vectors, params),
            self.executor.gather(estimate_bucket, estimated, vectors, params, params.k * refine),
        )
        parts = list(zip((ref.name for ref in exact), exact_parts, strict=True))
        wanted = smallest_per_query(
            [(ref.name, part) for ref, part in zip(estimated, estimates, strict=True)], params.k * refine
        )
        # Vectors for the candidates; then ids (and sequences, which can be long) for the k best only.
        to_read = [ref for ref in estimated if wanted.get(ref.name)]
        reranked = await self.executor.gather(rerank_bucket, to_read, vectors, wanted)
        exact_distances = list(zip((ref.name for ref in to_read), reranked, strict=True))
        best = smallest_per_query(exact_distances, params.k)
        to_describe = [ref for ref in to_read if best.get(ref.name)]
        described = await self.executor.gather(describe_bucket, to_describe, best)
        by_name = dict(exact_distances)
        for ref, rows in zip(to_describe, described, strict=True):
            parts.append((ref.name, _hits_table(by_name[ref.name], rows, best[ref.name])))
        return merge(parts, len(vectors), params.k)


def _hits_table(distances: pa.Table, rows: pa.Table, pairs: list[tuple[int, int]]) -> pa.Table:
    """One bucket's hits as `merge` takes them: each (query index, row id) pair's id, sequence and distance."""
    distance_of = dict(
        zip(
            zip(distances[QUERY_INDEX].to_pylist(), distances[ROW_ID].to_pylist(), strict=True),
            distances[DISTANCE].to_pylist(),
            strict=True,
        )
    )
    position = {row: i for i, row in enumerate(rows[ROW_ID].to_pylist())}
    found = [(query, row) for query, row in pairs if row in position]
    picked = rows.take(pa.array([position[row] for _, row in found], pa.int64())).drop_columns([ROW_ID])
    return picked.append_column(DISTANCE, pa.array([distance_of[pair] for pair in found], pa.float32())).append_column(
        QUERY_INDEX, pa.array([query for query, _ in found], pa.uint32())
    )


def smallest_per_query(parts: list[tuple[str, pa.Table]], keep: int) -> dict[str, list[tuple[int, int]]]:
    """Per bucket, the (query index, row id) pairs among each query's `keep` smallest distances over all
    buckets: by the index's estimate, the rows worth reading to re-rank; by the exact one, the hits."""
    tables = [table for _, table in parts if table.num_rows]
    if not tables:
        return {}
    query_of = np.concatenate([_query_index(table) for table in tables])
    distance = np.concatenate([table[DISTANCE].to_numpy() for table in tables])
    row_of = np.concatenate([table[ROW_ID].to_numpy() for table in tables])
    names = [bucket for bucket, table in parts if table.num_rows]
    bucket_of = np.concatenate([np.full(table.num_rows, i) for i, table in enumerate(tables)])
    order = np.lexsort((distance, query_of))  # by query, then distance
    grouped = query_of[order]
    rank = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")
    wanted: dict[str, list[tuple[int, int]]] = {}
    for i in order[rank < keep]:
        wanted.setdefault(names[bucket_of[i]], []).append((int(query_of[i]), int(row_of[i])))
    return wanted


def _query_index(table: pa.Table) -> np.ndarray:
    """Which query vector each row answers (a one-vector query's rows carry no query_index)."""
    if QUERY_INDEX in table.column_names:
        return np.asarray(table[QUERY_INDEX].to_numpy(), dtype=np.int64)
    return np.zeros(table.num_rows, dtype=np.int64)


def merge(parts: list[tuple[str, pa.Table]], queries: int, k: int) -> list[list[Hit]]:
    """Each query's k smallest distances over all buckets' answers (ties broken by id, for a stable order)."""
    ids: list[str] = []
    distances: list[float] = []
    query_of: list[int] = []
    bucket_of: list[str] = []
    sequences: list[str | None] = []
    for bucket, table in parts:
        n = table.num_rows
        ids += table[ID].to_pylist()
        distances += table[DISTANCE].to_pylist()
        query_of += _query_index(table).tolist()
        bucket_of += [bucket] * n
        sequences += table[SEQUENCE].to_pylist() if SEQUENCE in table.column_names else [None] * n
    results: list[list[Hit]] = [[] for _ in range(queries)]
    if not ids:
        return results
    order = np.lexsort((np.array(ids), np.array(distances), np.array(query_of)))
    for i in order:
        hits = results[query_of[i]]
        if len(hits) < k:
            hits.append(Hit(ids[i], float(distances[i]), bucket_of[i], sequences[i]))
    return results
