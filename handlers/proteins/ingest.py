"""`opsbot proteins ingest`: embedding files packed into buckets, one LanceDB table per bucket."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import lancedb
import pyarrow as pa

from bot.errors import BadInput
from handlers.proteins import sources
from handlers.proteins.catalog import BUCKET_PREFIX, Catalog, ManifestRow, bucket_name
from handlers.proteins.executors import BucketExecutor, BucketRef, LocalExecutor, bucket_ref
from handlers.proteins.packing import Item, best_fit

# The reference's bucket size: about 200M vectors each, indexable on one node in hours.
DEFAULT_BUCKET_ROWS = 200_000_000
# Lance's 2.0 file format, not LanceDB 0.40's default (2.2): at 960 float32s a row the newer encoders ingest
# a bucket at less than half 2.0's pace and scan it at 40% (1,000,000 rows: ingest 10.9 s against 4.9 s,
# a full scan 25.9 s against 10.0 s), for no gain in size, query latency or index build time on float
# vectors (`bench/lance_formats.py --rows 1000000`).
FILE_FORMAT = "2.0"

Progress = Callable[[str, int], None]
"""Called with a bucket's name and the rows just written to it."""


@dataclass(frozen=True)
class SourceFile:
    """An embedding file, described from its metadata; `fingerprint` None until the bucket write hashes it."""

    path: Path
    fingerprint: str | None
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
    """Skip files the manifest knows (by content) and pack the others into new buckets, best fit.

    Hashing a file costs a pass over it (BLAKE3: about 0.6 s of a core for a 3.8 GB file), so only a file
    that could be known, or a copy of another file of this ingest, is hashed here: one whose row count a
    manifest row or another file shares (the same content has the same rows). Every other file is new for
    certain, and the bucket write hashes it while it writes (`write_bucket`).
    """
    manifest = catalog.manifest()
    known = {row.fingerprint: row.bucket for row in manifest}
    described: dict[Path, tuple[int, int, bool]] = {}
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path}: no such file")
        sources.kind(path)
        described[path] = sources.describe(path)
    shared = Counter(rows for rows, _, _ in described.values()) + Counter(row.rows for row in manifest)
    # A file with the rows of a row printed in an older scheme is hashed that way too, in the same pass.
    older: dict[int, set[str]] = {}
    for row in manifest:
        if (scheme := sources.scheme(row.fingerprint)) != sources.FINGERPRINT_PREFIX:
            older.setdefault(row.rows, set()).add(scheme)
    result = IngestPlan()
    new: dict[str, SourceFile] = {}
    for path, (rows, dimension, has_sequence) in described.items():
        prints = sources.fingerprints(path, sorted(older.get(rows, ()))) if shared[rows] > 1 else []
        bucket = next((known[p] for p in prints if p in known), None)
        if bucket is not None:
            result.skipped.append((path, bucket))
            continue
        print_ = prints[0] if prints else None
        key = print_ or str(path)
        if key not in new:
            new[key] = SourceFile(path, print_, rows, dimension, has_sequence)
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
    files: list[SourceFile], dimension: int, batch_rows: int, on_rows: Callable[[int], None], errors: list[Exception]
) -> pa.RecordBatchReader:
    with_sequence = any(f.has_sequence for f in files)

    def stream() -> Iterator[pa.RecordBatch]:
        try:
            for source in files:
                for batch in sources.batches(source.path, dimension, with_sequence, batch_rows):
                    yield batch
                    on_rows(batch.num_rows)
        except Exception as error:
            # Lance's writer turns it into an opaque Arrow error; keep it to raise as itself.
            errors.append(error)
            raise

    return pa.RecordBatchReader.from_batches(sources.schema(dimension, with_sequence), stream())


def write_bucket(
    ref: BucketRef,
    files: list[SourceFile],
    batch_rows: int,
    progress: Progress | None = None,
    file_format: str = FILE_FORMAT,
) -> list[ManifestRow]:
    """Stream the bucket's files into its table (opened by URI, so any worker can), and name what it holds.

    Files not hashed yet are hashed on a thread while Lance writes: hashing holds no GIL, and the two
    passes over a file share the page cache.
    """
    errors: list[Exception] = []
    reader = _reader(
        files, files[0].dimension, batch_rows, lambda n: progress(ref.name, n) if progress else None, errors
    )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fingerprint") as hasher:
        prints = {f.path: hasher.submit(sources.fingerprint, f.path) for f in files if f.fingerprint is None}
        try:
            lancedb.connect(ref.uri, storage_options=ref.options).create_table(
                ref.name, data=reader, mode="overwrite", data_storage_version=file_format
            )
        except Exception:
            for future in prints.values():
                future.cancel()
            if errors:
                raise errors[0] from None
            raise
        return [ManifestRow(f.fingerprint or prints[f.path].result(), str(f.path), f.rows, ref.name) for f in files]


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
    executor: BucketExecutor | None = None,
    file_format: str = FILE_FORMAT,
) -> IngestPlan:
    """Ingest `paths`: re-ingesting a known file is a no-op; buckets are written `workers` at a time.

    Each bucket is recorded in the manifest once its table is fully written, so a crash leaves no row.
    `executor` runs the bucket writes (default: `workers` threads here); `file_format` is Lance's.
    """
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
    executor = executor or LocalExecutor(workers)
    # Progress callbacks cannot cross to another process: there a bucket reports its rows when it is written.
    live = progress if executor.in_process else None
    jobs = {
        b: (bucket_ref(catalog.uri, b, catalog.storage_options), files, batch_rows, live, file_format)
        for b, files in work.buckets.items()
    }
    for bucket, rows in executor.each(write_bucket, jobs):
        catalog.record(rows)
        if progress and not live:
            progress(bucket, sum(r.rows for r in rows))
    return work
