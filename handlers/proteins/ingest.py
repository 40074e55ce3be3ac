"""`opsbot proteins ingest`: embedding files packed into buckets, one LanceDB table per bucket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from bot.errors import BadInput
from handlers.proteins import sources
from handlers.proteins.catalog import BUCKET_PREFIX, Catalog, ManifestRow, bucket_name
from handlers.proteins.packing import Item, best_fit

# The reference's bucket size: about 200M vectors each, indexable on one node in hours.
DEFAULT_BUCKET_ROWS = 200_000_000

Progress = Callable[[str, int], None]
"""Called with a bucket's name and the rows just written to it."""


@dataclass(frozen=True)
class SourceFile:
    """An embedding file, described from its metadata."""

    path: Path
    fingerprint: str
    rows: int
    dimension: int
    has_sequence: bool


@dataclass
class IngestPlan:
    """What an ingest will do: files already in the database, and new buckets for the rest."""

    skipped: list[tuple[Path, str]] = field(default_factory=list)
    buckets: dict[str, list[SourceFile]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Vectors to write."""
        return sum(f.rows for files in self.buckets.values() for f in files)


def plan(catalog: Catalog, paths: list[Path], bucket_rows: int) -> IngestPlan:
    """Skip files the manifest knows (by content) and pack the others into new buckets, best fit."""
    known = {row.fingerprint: row.bucket for row in catalog.manifest()}
    result = IngestPlan()
    new: dict[str, SourceFile] = {}
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path}: no such file")
        sources.kind(path)
        print_ = sources.fingerprint(path)
        if print_ in known:
            result.skipped.append((path, known[print_]))
            continue
        if print_ not in new:
            rows, dimension, has_sequence = sources.describe(path)
            new[print_] = SourceFile(path, print_, rows, dimension, has_sequence)
    dimensions = {f.dimension for f in new.values()}
    if len(dimensions) > 1:
        raise BadInput(f"the files' vectors differ in dimension ({sorted(dimensions)}); ingest them separately")
    # New data always lands in new buckets, so the indexes of existing ones stay valid.
    numbers = [int(b.removeprefix(BUCKET_PREFIX)) for b in catalog.buckets()]
    start = max(numbers, default=-1) + 1
    bins = best_fit([Item(key, f.rows) for key, f in new.items()], bucket_rows)
    for offset, bin_ in enumerate(bins):
        result.buckets[bucket_name(start + offset)] = [new[item.name] for item in bin_.items]
    return result


def _reader(
    files: list[SourceFile], dimension: int, batch_rows: int, on_rows: Callable[[int], None]
) -> pa.RecordBatchReader:
    with_sequence = any(f.has_sequence for f in files)

    def stream() -> Iterator[pa.RecordBatch]:
        for source in files:
            for batch in sources.batches(source.path, dimension, with_sequence, batch_rows):
                yield batch
                on_rows(batch.num_rows)

    return pa.RecordBatchReader.from_batches(sources.schema(dimension, with_sequence), stream())


def write_bucket(
    catalog: Catalog, bucket: str, files: list[SourceFile], batch_rows: int, progress: Progress | None = None
) -> None:
    """Stream the bucket's files into its table, then record them: a crash leaves no manifest row."""
    dimension = files[0].dimension
    reader = _reader(files, dimension, batch_rows, lambda n: progress(bucket, n) if progress else None)
    catalog.db.create_table(bucket, data=reader, mode="overwrite")
    catalog.record([ManifestRow(f.fingerprint, str(f.path), f.rows, bucket) for f in files])


def drop_orphans(catalog: Catalog) -> list[str]:
    """Drop bucket tables no manifest row names (left by an ingest that did not finish)."""
    recorded = set(catalog.buckets())
    orphans = [t for t in catalog.tables() if t.startswith(BUCKET_PREFIX) and t not in recorded]
    for table in orphans:
        catalog.db.drop_table(table)
    return orphans


def ingest(
    catalog: Catalog,
    paths: list[Path],
    *,
    embedder: str,
    bucket_rows: int = DEFAULT_BUCKET_ROWS,
    batch_rows: int = sources.DEFAULT_BATCH_ROWS,
    workers: int = 1,
    progress: Progress | None = None,
    planned: Callable[[IngestPlan], None] | None = None,
) -> IngestPlan:
    """Ingest `paths`: re-ingesting a known file is a no-op; buckets are written `workers` at a time."""
    if bucket_rows < 1 or batch_rows < 1 or workers < 1:
        raise BadInput("bucket size, batch size and workers must be at least 1")
    drop_orphans(catalog)
    work = plan(catalog, paths, bucket_rows)
    if planned:
        planned(work)
    if not work.buckets:
        return work
    first = next(iter(work.buckets.values()))[0]
    catalog.claim_embedder(embedder, first.dimension)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="proteins-ingest") as pool:
        futures = [
            pool.submit(write_bucket, catalog, b, files, batch_rows, progress) for b, files in work.buckets.items()
        ]
        for future in futures:
            future.result()
    return work
