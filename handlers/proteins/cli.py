"""`opsbot proteins ingest|index|search|info`: build and query a bucketed protein database."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.errors import OpsbotError
from bot.settings import Settings, SettingsError, load_settings
from bot.wording import count, duration
from handlers.proteins import kmer, sources
from handlers.proteins.blocks import index_description
from handlers.proteins.catalog import Catalog
from handlers.proteins.executors import KINDS, BucketExecutor, make_executor
from handlers.proteins.fasta import read_fasta, read_vectors
from handlers.proteins.identity import percent_identity
from handlers.proteins.indexing import (
    DEFAULT_INDEX_TYPE,
    DEFAULT_RQ_BITS,
    INDEX_TYPES,
    RQ_BITS_CHOICES,
    default_workers,
    index,
)
from handlers.proteins.ingest import DEFAULT_BUCKET_ROWS, IngestPlan, ingest
from handlers.proteins.query import SearchOptions, classify
from handlers.proteins.search import Hit, SearchParams
from handlers.proteins.service import ProteinService, search_defaults

console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except OpsbotError as error:
        raise click.ClickException(error.message) from None


def _db(db: str | None, settings: Settings) -> str:
    uri = db or settings.protein_db
    if not uri:
        raise click.ClickException("name the database with --db or set OPSBOT_PROTEIN_DB")
    return uri


db_option = click.option("--db", help="LanceDB directory or s3:// prefix (default OPSBOT_PROTEIN_DB).")


def executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--executor local|ray` and `--ray-address`, defaulting to the settings."""
    command = click.option(
        "--ray-address", default=None, help="Ray cluster address (default OPSBOT_PROTEIN_RAY_ADDRESS; none: local)."
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(KINDS),
        default=None,
        help="Where per-bucket work runs (default OPSBOT_PROTEIN_EXECUTOR, else local).",
    )(command)


def _executor(settings: Settings, kind: str | None, address: str | None, workers: int | None) -> BucketExecutor:
    with _user_errors():
        return make_executor(
            kind or settings.protein_executor, address=address or settings.protein_ray_address, workers=workers
        )


@click.group()
def proteins() -> None:
    """The protein embedding database: ingest, index, search, info."""


@proteins.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option("--embedder", default=kmer.NAME, show_default=True, help="Name of the model that made the vectors.")
@click.option("--bucket-rows", type=click.IntRange(1), default=DEFAULT_BUCKET_ROWS, show_default=True)
@click.option("--batch-rows", type=click.IntRange(1), default=sources.DEFAULT_BATCH_ROWS, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Buckets written at once (default 1; on Ray, as many as the cluster runs).",
)
@executor_options
def ingest_command(
    files: tuple[Path, ...],
    db: str | None,
    embedder: str,
    bucket_rows: int,
    batch_rows: int,
    workers: int | None,
    executor: str | None,
    ray_address: str | None,
) -> None:
    """Pack HDF5 (id, embedding[, sequence]) and Parquet files into buckets; known files are skipped."""
    settings = _settings()
    catalog = Catalog(_db(db, settings), settings.protein_storage)
    runner = _executor(settings, executor, ray_address, workers)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )
    tasks: dict[str, Any] = {}

    def planned(plan: IngestPlan) -> None:
        for path, bucket in plan.skipped:
            console.print(f"{path}: already in {bucket}, skipped")
        for bucket, bucket_files in plan.buckets.items():
            rows = sum(f.rows for f in bucket_files)
            tasks[bucket] = progress.add_task(f"{bucket} ({count(len(bucket_files), 'file')})", total=rows)

    with _user_errors(), progress:
        done = ingest(
            catalog,
            list(files),
            embedder=embedder,
            bucket_rows=bucket_rows,
            batch_rows=batch_rows,
            workers=workers or 1,
            progress=lambda bucket, rows: progress.advance(tasks[bucket], rows),
            planned=planned,
            executor=runner,
        )
    click.echo(
        f"ingested {count(done.rows, 'vector')} into {count(len(done.buckets), 'new bucket')}; "
        f"{count(len(done.skipped), 'file')} skipped"
    )


@proteins.command("index")
@db_option
@click.option(
    "--index-type",
    type=click.Choice(INDEX_TYPES, case_sensitive=False),
    default=DEFAULT_INDEX_TYPE,
    show_default=True,
    help="The vector index (cosine): PQ, RaBitQ, 8-bit scalar or full-vector codes in IVF partitions.",
)
@click.option("--partitions", type=click.IntRange(1), default=None, help="IVF partitions (default sqrt(rows)).")
@click.option(
    "--sub-vectors", type=click.IntRange(1), default=None, help="PQ sub-vectors, ivf_pq only (default dimension/16)."
)
@click.option(
    "--rq-bits",
    type=click.Choice([str(b) for b in RQ_BITS_CHOICES]),
    default=None,
    help=f"RaBitQ bits per dimension, ivf_rq only (default {DEFAULT_RQ_BITS}).",
)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Buckets indexed at once.")
@click.option("--force", is_flag=True, help="Rebuild indexes that exist.")
@executor_options
def index_command(
    db: str | None,
    index_type: str,
    partitions: int | None,
    sub_vectors: int | None,
    rq_bits: str | None,
    workers: int | None,
    force: bool,
    executor: str | None,
    ray_address: str | None,
) -> None:
    """Build vector (cosine) indexes on buckets that have none; type and parameters go in the database's metadata."""
    settings = _settings()
    catalog = Catalog(_db(db, settings), settings.protein_storage)
    with _user_errors():
        pending = len(catalog.require())
        kind = executor or settings.protein_executor
        at_once = workers or (default_workers(pending) if kind == "local" else None)
        runner = _executor(settings, kind, ray_address, at_once)
        console.print(
            f"indexing up to {count(pending, 'bucket')} on {runner.kind}, "
            f"{at_once or 'as many as the cluster runs'} at a time"
        )
        built = index(
            catalog,
            partitions=partitions,
            sub_vectors=sub_vectors,
            force=force,
            index_type=index_type.lower(),
            rq_bits=int(rq_bits) if rq_bits else None,
            workers=workers,
            executor=runner,
            done=lambda b, p: console.print(f"{b}: {index_description(p)}, {duration(p.seconds)}"),
        )
    click.echo(f"indexed {count(len(built), 'bucket')}")


def _service(
    db: str | None,
    settings: Settings,
    nprobes: int | None,
    refine: int | None,
    executor: BucketExecutor | None = None,
) -> ProteinService:
    configured = search_defaults(settings)
    defaults = SearchParams(nprobes=nprobes or configured.nprobes, refine_factor=refine or configured.refine_factor)
    return ProteinService(
        _db(db, settings),
        storage_options=settings.protein_storage,
        embedder=settings.protein_embedder,
        cache_mb=settings.protein_cache_mb,
        defaults=defaults,
        executor=executor,
    )


@proteins.command("search")
@click.argument("query", required=False)
@db_option
@click.option("--fasta", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Batch: sequences.")
@click.option(
    "--vectors", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Batch: .npy/.h5/.parquet."
)
@click.option("-k", "--k", "k", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--nprobes", type=click.IntRange(1), default=None, help="Default OPSBOT_PROTEIN_NPROBES.")
@click.option(
    "--refine",
    type=click.IntRange(1),
    default=None,
    help="Default OPSBOT_PROTEIN_REFINE_FACTOR, else by the buckets' indexes "
    "(IVF_PQ 20, IVF_SQ 2, IVF_RQ 20/10/5 at 1/2/4 bits).",
)
@click.option("--identity", is_flag=True, help="Batch: percent identity to stored sequences (slower).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Batch: CSV file (default stdout).")
@executor_options
def search_command(**options: Any) -> None:
    """Nearest proteins to a protein id or a sequence, or to every query of a FASTA or vector file."""
    settings = _settings()
    batch = [options["fasta"], options["vectors"]]
    if (options["query"] is None) == (not any(batch)) or all(batch):
        raise click.UsageError("give one of: a protein id or sequence, --fasta FILE, --vectors FILE")
    runner = _executor(settings, options["executor"], options["ray_address"], None)
    service = _service(options["db"], settings, options["nprobes"], options["refine"], runner)
    try:
        with _user_errors():
            if options["query"] is not None:
                _one(service, options["query"], options["k"])
            else:
                _batch(service, options)
    finally:
        service.close()


def _one(service: ProteinService, text: str, k: int) -> None:
    result = service.search(classify(text, max_length=40_000), SearchOptions(k=min(k, 1000)))
    table = Table(
        title=f"nearest to {result.query.label} ({result.seconds * 1000:.0f} ms, {count(result.buckets, 'bucket')})"
    )
    for column in ("rank", "id", "cosine distance", "identity", "bucket"):
        table.add_column(column)
    for rank, hit in enumerate(result.hits, start=1):
        identity = f"{hit.identity:.1f}%" if hit.identity is not None else "-"
        table.add_row(str(rank), hit.id, f"{max(hit.distance, 0.0):.4f}", identity, hit.bucket)
    Console().print(table)


def _batch(service: ProteinService, options: dict[str, Any]) -> None:
    params = service.params(SearchOptions(k=min(options["k"], 1000)))
    out = options["out"].open("w", newline="", encoding="utf-8") if options["out"] else sys.stdout
    writer = csv.writer(out)
    writer.writerow(["query", "rank", "id", "cosine_distance", "percent_identity", "bucket"])
    total = 0
    try:
        for names, vectors, sequences in _queries(service, options):
            for name, hits, sequence in zip(names, service.search_vectors(vectors, params), sequences, strict=True):
                for rank, hit in enumerate(hits, start=1):
                    identity = _identity(hit, sequence) if options["identity"] else None
                    shown = f"{identity:.2f}" if identity is not None else ""
                    writer.writerow([name, rank, hit.id, f"{max(hit.distance, 0.0):.6f}", shown, hit.bucket])
            total += len(names)
    finally:
        if out is not sys.stdout:
            out.close()
    console.print(f"searched {count(total, 'query', 'queries')}")


def _identity(hit: Hit, sequence: str | None) -> float | None:
    return percent_identity(sequence, hit.sequence) if sequence and hit.sequence else None


def _queries(service: ProteinService, options: dict[str, Any]) -> Iterator[tuple[list[str], Any, list[str | None]]]:
    if options["vectors"]:
        for names, vectors in read_vectors(options["vectors"]):
            yield names, vectors, [None] * len(names)
        return
    records = list(read_fasta(options["fasta"]))
    for start in range(0, len(records), 1024):
        chunk = records[start : start + 1024]
        yield [n for n, _ in chunk], service.embed([s for _, s in chunk]), [s for _, s in chunk]


@proteins.command("info")
@db_option
def info_command(db: str | None) -> None:
    """Buckets, rows, embedder and index parameters."""
    settings = _settings()
    service = _service(db, settings, None, None)
    try:
        details = service.info(fresh=True)
    finally:
        service.close()
    embedder = details.embedder
    click.echo(f"database  {details.uri}")
    click.echo(f"embedder  {f'{embedder.name} ({embedder.dimension} dimensions)' if embedder else 'none recorded'}")
    click.echo(f"buckets   {len(details.buckets)}, {count(details.rows, 'protein')}")
    for bucket, rows in details.buckets.items():
        click.echo(f"  {bucket}  {rows:>13,}  {index_description(details.indexes.get(bucket))}")
