"""Nearest proteins across every bucket: one query per bucket, all at once (LanceDB's async API), merged.

As in the reference, each bucket returns its own top k by cosine distance and the global answer is the
k smallest of those; a bucket's k nearest always include its share of the global k nearest, so merging
loses nothing the per-bucket searches found.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa

from handlers.proteins.sources import EMBEDDING, ID, SEQUENCE

DISTANCE = "_distance"
QUERY_INDEX = "query_index"


@dataclass(frozen=True)
class SearchParams:
    """How many neighbours, and how hard each bucket's IVF-PQ index looks."""

    k: int = 10
    nprobes: int = 20
    refine_factor: int = 20


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


class BucketSearcher:
    """An async connection to one database with its bucket tables opened once and kept."""

    def __init__(self, uri: str, storage_options: dict[str, str] | None = None) -> None:
        self.uri = uri
        self.storage_options = storage_options or None
        self._db: Any = None
        self._tables: dict[str, tuple[Any, bool]] = {}

    async def _table(self, bucket: str) -> tuple[Any, bool]:
        if bucket not in self._tables:
            if self._db is None:
                self._db = await lancedb.connect_async(self.uri, storage_options=self.storage_options)
            table = await self._db.open_table(bucket)
            has_sequence = SEQUENCE in (await table.schema()).names
            self._tables[bucket] = (table, has_sequence)
        return self._tables[bucket]

    async def lookup(self, buckets: list[str], protein_id: str) -> StoredProtein | None:
        """The stored protein with this id (ids are validated by the caller: no quotes reach the filter)."""
        found = await asyncio.gather(*(self._lookup_one(b, protein_id) for b in buckets))
        return next((f for f in found if f is not None), None)

    async def _lookup_one(self, bucket: str, protein_id: str) -> StoredProtein | None:
        table, has_sequence = await self._table(bucket)
        columns = [ID, EMBEDDING, *([SEQUENCE] if has_sequence else [])]
        rows = (await table.query().where(f"{ID} = '{protein_id}'").select(columns).limit(1).to_arrow()).to_pylist()
        if not rows:
            return None
        row = rows[0]
        return StoredProtein(row[ID], bucket, np.asarray(row[EMBEDDING], np.float32), row.get(SEQUENCE))

    async def search(self, buckets: list[str], vectors: np.ndarray, params: SearchParams) -> list[list[Hit]]:
        """The global top k for each query vector (rows of `vectors`), every bucket queried concurrently."""
        parts = await asyncio.gather(*(self._search_one(b, vectors, params) for b in buckets))
        return merge(list(zip(buckets, parts, strict=True)), len(vectors), params.k)

    async def _search_one(self, bucket: str, vectors: np.ndarray, params: SearchParams) -> pa.Table:
        table, has_sequence = await self._table(bucket)
        target = vectors[0] if len(vectors) == 1 else list(vectors)
        query = (
            table.query()
            .nearest_to(target)
            .column(EMBEDDING)
            .distance_type("cosine")
            .nprobes(params.nprobes)
            .refine_factor(params.refine_factor)
            .limit(params.k)
            .select([ID, *([SEQUENCE] if has_sequence else []), DISTANCE])
        )
        return await query.to_arrow()

    def forget(self) -> None:
        """Drop opened tables (after an ingest adds buckets or an index is rebuilt)."""
        self._tables.clear()


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
        query_of += table[QUERY_INDEX].to_pylist() if QUERY_INDEX in table.column_names else [0] * n
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
