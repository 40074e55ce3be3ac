"""Checks shared by the local-disk and the S3 protein tests: the exact answer, and search held to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from handlers.proteins import kmer
from handlers.proteins.catalog import Catalog
from handlers.proteins.executors import BucketRef, LocalExecutor
from handlers.proteins.indexing import index
from handlers.proteins.ingest import ingest
from handlers.proteins.search import SearchParams
from handlers.proteins.service import ProteinService
from sandbox.proteins import families, write_families


def exact_nearest(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each query's k nearest rows by cosine distance (ties in row order), and their distances."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    distances = 1.0 - q @ unit.T
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)


class RecordingExecutor(LocalExecutor):
    """The local executor, noting which per-bucket jobs a search ran, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[str] = []

    async def gather(self, job: Callable[..., Awaitable[Any]], refs: Sequence[BucketRef], *args: Any) -> list[Any]:
        if refs:
            self.jobs.append(job.__name__)
        return await super().gather(job, refs, *args)


def assert_exact_hits_with_sequences(uri: str, options: dict[str, str] | None, work: Path) -> list[str]:
    """Two IVF-RQ buckets of protein families: with every partition probed and every row re-ranked, the hits
    are the exact answer, from both buckets, each with its stored sequence. Returns the per-bucket jobs the
    search ran."""
    rows = families(count=50, members=12, seed=7)
    files = [write_families(work / f"part{n}.parquet", rows[n * 300 : (n + 1) * 300]) for n in range(2)]
    catalog = Catalog(uri, options)
    ingest(catalog, files, embedder="kmer-hash-v1", bucket_rows=300)
    assert {p.type for p in index(catalog).values()} == {"IVF_RQ"}
    executor = RecordingExecutor()
    service = ProteinService(uri, storage_options=options, executor=executor)
    try:
        stored = {protein: sequence for protein, _, sequence in rows}
        queries = kmer.embed_many([rows[5][2], rows[420][2]])
        results = service.search_vectors(queries, SearchParams(k=12, nprobes=64, refine_factor=60))
        order, _ = exact_nearest(kmer.embed_many([sequence for _, _, sequence in rows]), queries, 12)
        assert [[h.id for h in hits] for hits in results] == [[rows[i][0] for i in row] for row in order]
        assert all(h.sequence == stored[h.id] for hits in results for h in hits)
        assert {h.bucket for hits in results for h in hits} == {"bucket_0000", "bucket_0001"}
    finally:
        service.close()
    return executor.jobs
