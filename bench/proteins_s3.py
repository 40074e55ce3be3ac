"""Protein search on object storage: requests, bytes and latency per query, each beside its baseline.

Production keeps the bucket tables on S3. Here they live in the sandbox's S3 (moto, as `sandbox/aws/
moto_server.py` runs it) behind `bench/s3_proxy.py`, which counts requests and bytes per method and adds
LATENCY_MS to every request (in-region S3's order); moto and the proxy each run in a process of their own.
BUCKETS buckets of ROWS x DIM float32 vectors from a Gaussian mixture are ingested and indexed on local disk
(`--index-type`, default the bot's) and uploaded as they are, so the S3 figures measure queries, not a slow
index build over moto. Ground truth: exact cosine top 10.
Prints one JSON document:

- per_bucket: requests and bytes of one bucket's query (k 10, nprobes, refine) on a fresh connection and
  session (a cold process), the bot's first query (which opens the table and, when every bucket's index
  fits the cache, starts loading the whole index beside it), that load until it is done, and warm (the
  bot's path: the process's table and caches, after WARMUP queries), the mean over QUERIES;
- latency: p50/p95 over QUERIES single-vector queries on 1 and on all buckets: the bot's warm path over
  S3; its first query in a fresh process (COLD_QUERIES of them), and the same with Lance's own count of
  compute threads (`handlers/proteins/threads.py`); the same warm tables re-ranked by
  LanceDB's refine in each bucket (the bot's path before re-ranking across buckets); a fresh connection
  per query (the baseline); and the bot's path on local disk;
- refine: recall@10, GETs per query and p50/p95 of the bot's warm path on all buckets for each refine
  factor: re-ranking reads k x refine rows, most of a warm query's requests.

Request and byte counts carry over to S3 as they are, and so do `request_rounds`, the requests a query
waited for one after another (x LATENCY_MS: the least it can take); latencies include moto's own time on
this machine (`moto_ms`, summed over requests) on top of the added latency. moto serves a few hundred
requests a second on 2 cores: a cold query over four buckets (about 600 GETs) is bound by it, not by
its rounds.

`python bench/proteins_s3.py --buckets 4 --rows 20000` (the defaults) takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import h5py
import lancedb
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.proteins import mixture  # noqa: E402
from bench.s3_proxy import MotoProcess, S3Proxy, request_rounds  # noqa: E402
from handlers.proteins.catalog import Catalog  # noqa: E402
from handlers.proteins.executors import BucketRef  # noqa: E402
from handlers.proteins.indexing import DEFAULT_INDEX_TYPE, INDEX_TYPES, index, recorded  # noqa: E402
from handlers.proteins.ingest import ingest  # noqa: E402
from handlers.proteins.search import DISTANCE, BucketSearcher, SearchParams, open_bucket  # noqa: E402
from handlers.proteins.service import DatabaseInfo  # noqa: E402
from handlers.proteins.sources import EMBEDDING, ID  # noqa: E402
from handlers.proteins.threads import VARIABLE  # noqa: E402
from handlers.proteins.warming import prewarmed  # noqa: E402
from sandbox.runtime import free_port  # noqa: E402

K = 10
S3_BUCKET = "bench-proteins"
CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox", "aws_region": "us-east-1"}


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}


def per_query(proxy: S3Proxy, queries: int) -> dict[str, Any]:
    """Since the proxy's reset, per query: GET requests and bytes (a search makes no other requests), what
    they read, the rounds of requests it waited for one after another (queries ran one at a time, so the
    chain runs through all of them), and moto's own time."""
    counts = proxy.snapshot()
    gets = counts.get("GET", {"requests": 0, "bytes_out": 0, "upstream_ms": 0})
    others = sum(row["requests"] for method, row in counts.items() if method not in ("GET", "GET_by_part"))
    return {
        "get_requests": round(gets["requests"] / queries, 1),
        "request_rounds": round(request_rounds(proxy.trace()) / queries, 1),
        "get_kib": round(gets["bytes_out"] / queries / 1024, 1),
        "gets_by_part": {part: round(n / queries, 1) for part, n in counts.get("GET_by_part", {}).items()},
        "other_requests": round(others / queries, 1),
        "moto_ms": round(gets["upstream_ms"] / queries, 1),
    }


def build(
    work: Path, buckets: int, rows: int, dim: int, clusters: int, index_type: str, rq_bits: int | None
) -> tuple[Path, np.ndarray, np.ndarray]:
    """The local database (one HDF5 file per bucket, ingested and indexed), all vectors, and the queries."""
    centers = np.random.default_rng(42).standard_normal((clusters, dim)).astype(np.float32)
    files, parts = [], []
    for b in range(buckets):
        vectors = mixture(rows, dim, b, centers)
        path = work / f"part{b}.h5"
        with h5py.File(path, "w") as out:
            out.create_dataset("id", data=[f"P{b * rows + i:09d}".encode() for i in range(rows)])
            out.create_dataset("embedding", data=vectors)
        files.append(path)
        parts.append(vectors)
    db = work / "local"
    catalog = Catalog(str(db))
    ingest(catalog, files, embedder="bench-gauss", bucket_rows=rows)
    index(catalog, workers=1, index_type=index_type, rq_bits=rq_bits if index_type == "ivf_rq" else None)
    data = np.concatenate(parts)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return db, data, centers


def upload(client: Any, directory: Path, prefix: str) -> None:
    """Every file of the database, at the same relative keys."""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), S3_BUCKET, f"{prefix}/{path.relative_to(directory)}")


async def fresh_query(ref: BucketRef, vector: np.ndarray, params: SearchParams) -> Any:
    """The baseline: a new connection and session (empty caches), the table opened, one query."""
    db = await lancedb.connect_async(ref.uri, storage_options=ref.options, session=lancedb.Session())
    table = await db.open_table(ref.name)
    query = table.query().nearest_to(vector).column(EMBEDDING).distance_type("cosine").nprobes(params.nprobes)
    refine = params.refine_for(ref.index_type, ref.index_bits)
    if refine is not None:
        query = query.refine_factor(refine)
    return await query.limit(params.k).select([ID, DISTANCE]).to_arrow()


async def refine_in_each_bucket(ref: BucketRef, vector: np.ndarray, params: SearchParams) -> Any:
    """The bot's path before re-ranking across buckets: the bucket's open table and cached index, and
    LanceDB's refine, which reads k x refine rows in every bucket."""
    table, _ = await open_bucket(ref)
    query = table.query().nearest_to(vector).column(EMBEDDING).distance_type("cosine").nprobes(params.nprobes)
    refine = params.refine_for(ref.index_type, ref.index_bits)
    if refine is not None:
        query = query.refine_factor(refine)
    return await query.limit(params.k).select([ID, DISTANCE]).to_arrow()


class Runner:
    """Queries on one event loop, timed and counted through the proxy."""

    def __init__(self, proxy: S3Proxy) -> None:
        self.proxy = proxy
        self.loop = asyncio.new_event_loop()
        self.searcher = BucketSearcher()

    def fresh(self, refs: list[BucketRef], vector: np.ndarray, params: SearchParams) -> None:
        async def every_bucket() -> list[Any]:
            return await asyncio.gather(*(fresh_query(ref, vector, params) for ref in refs))

        self.loop.run_until_complete(every_bucket())

    def each_bucket_refines(self, refs: list[BucketRef], vector: np.ndarray, params: SearchParams) -> None:
        async def every_bucket() -> list[Any]:
            return await asyncio.gather(*(refine_in_each_bucket(ref, vector, params) for ref in refs))

        self.loop.run_until_complete(every_bucket())

    def bot(self, refs: list[BucketRef], vector: np.ndarray, params: SearchParams) -> list[str]:
        hits = self.loop.run_until_complete(self.searcher.search(refs, vector[None, :], params))[0]
        return [hit.id for hit in hits]

    def prewarmed(self) -> float:
        """Seconds until the index loads the bot's first queries started have finished."""
        started = time.perf_counter()
        self.loop.run_until_complete(prewarmed())
        return time.perf_counter() - started

    def measure(self, run: Any, queries: np.ndarray) -> tuple[list[float], dict[str, float], list[list[str]]]:
        """Latencies, per-query requests and bytes, and the answers of `run(vector)` over the queries."""
        self.proxy.reset()
        times, found = [], []
        for vector in queries:
            started = time.perf_counter()
            found.append(run(vector) or [])
            times.append(time.perf_counter() - started)
        return times, per_query(self.proxy, len(queries)), found


def cold_bot_query(
    refs: list[BucketRef], vector: np.ndarray, params: SearchParams, lance_threads: int | None = None
) -> float:
    """Seconds of the bot's first query in a process of its own (nothing opened or cached yet): the tables
    opened, the index partitions it probes read, and its rows re-ranked; the whole-index load it starts runs
    beside it, as in the bot, and is cut off when the query returns. `lance_threads` sets the process's
    LANCE_CPU_THREADS (default: what the bot sets)."""
    saved = os.environ.get(VARIABLE)
    if lance_threads is not None:
        os.environ[VARIABLE] = str(lance_threads)  # a spawned process starts with the parent's environment
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(_first_query, refs, vector, params).result()
    finally:
        if saved is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = saved


def lance_default_threads() -> int:
    """Lance's own LANCE_CPU_THREADS when none is set: the cores less the two it reserves for I/O, at least 1
    (lance-core's `calculate_num_compute_intensive_cpus`)."""
    cpus = os.cpu_count() or 1
    return 1 if cpus <= 2 else cpus - 2


def _first_query(refs: list[BucketRef], vector: np.ndarray, params: SearchParams) -> float:
    async def first() -> float:
        started = time.perf_counter()
        await BucketSearcher().search(refs, vector[None, :], params)
        return time.perf_counter() - started

    return asyncio.run(first())


def recall(found: list[list[str]], truth: np.ndarray) -> float:
    return float(np.mean([len({int(i[1:]) for i in f[:K]} & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buckets", type=int, default=4)
    parser.add_argument("--rows", type=int, default=20_000, help="rows per bucket")
    parser.add_argument("--dim", type=int, default=960)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--cold-queries", type=int, default=5, help="first queries, each in a fresh process")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--nprobes", type=int, default=20)
    parser.add_argument("--index-type", choices=INDEX_TYPES, default=DEFAULT_INDEX_TYPE)
    parser.add_argument("--rq-bits", type=int, default=None, help="RaBitQ bits per dimension (default the bot's)")
    parser.add_argument(
        "--refine", type=int, default=None, help="the refine factor of the main figures (default: the index type's)"
    )
    parser.add_argument("--refine-sweep", default="1,5,10,20")
    parser.add_argument("--cache-mb", type=int, default=1024)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="bench-proteins-s3-", dir=args.workdir))
    try:
        report = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))


def run(args: argparse.Namespace, work: Path) -> dict:
    started = time.perf_counter()
    local, data, centers = build(work, args.buckets, args.rows, args.dim, args.clusters, args.index_type, args.rq_bits)
    built_s = time.perf_counter() - started
    rng_queries = mixture(args.queries + args.warmup, args.dim, 10**9, centers)
    rng_queries /= np.linalg.norm(rng_queries, axis=1, keepdims=True)
    warmup, queries = rng_queries[: args.warmup], rng_queries[args.warmup :]
    scores = queries @ data.T
    truth = np.argsort(-scores, axis=1)[:, :K]
    del scores

    moto = MotoProcess(free_port()).start()
    proxy = S3Proxy(moto.url, latency_s=args.latency_ms / 1000).start()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=moto.url,
            region_name=CREDENTIALS["aws_region"],
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        client.create_bucket(Bucket=S3_BUCKET)
        upload(client, local, "proteins")
        options = {**CREDENTIALS, "aws_endpoint": proxy.url, "allow_http": "true"}
        catalog = Catalog(str(local))
        info = DatabaseInfo(f"s3://{S3_BUCKET}/proteins", catalog.buckets(), catalog.embedder(), recorded(catalog))
        s3_refs = info.refs(options, args.cache_mb)
        local_refs = DatabaseInfo(str(local), info.buckets, info.embedder, info.indexes).refs(None, args.cache_mb)
        params = SearchParams(k=K, nprobes=args.nprobes, refine_factor=args.refine)
        runner = Runner(proxy)
        report: dict[str, Any] = {
            "buckets": args.buckets,
            "rows_per_bucket": args.rows,
            "dim": args.dim,
            "queries": args.queries,
            "latency_ms_per_request": args.latency_ms,
            "k": K,
            "nprobes": args.nprobes,
            "index_type": args.index_type,
            "rq_bits": s3_refs[0].index_bits if args.index_type == "ivf_rq" else None,
            "refine": params.refine_for(s3_refs[0].index_type, s3_refs[0].index_bits),
            "cache_mb": args.cache_mb,
            "cpus": os.cpu_count(),
            "build_s": round(built_s, 1),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
        }

        one = s3_refs[:1]
        _, cold, _ = runner.measure(lambda v: runner.fresh(one, v, params), queries[:1])
        _, fresh_each, _ = runner.measure(lambda v: runner.fresh(one, v, params), queries)
        # The bot's first query opens the table, and loads the whole index when every bucket's fits the cache.
        first_t, first, _ = runner.measure(lambda v: runner.bot(one, v, params), queries[:1])
        runner.proxy.reset()
        prewarm_s = runner.prewarmed()
        prewarm = per_query(runner.proxy, 1)
        for vector in warmup:
            runner.bot(one, vector, params)
        _, warm, _ = runner.measure(lambda v: runner.bot(one, v, params), queries)
        report["per_bucket"] = {
            "cold_fresh_connection": cold,
            "fresh_connection_every_query": fresh_each,
            "first_bot_query": {"ms": round(first_t[0] * 1000, 1), **first},
            "index_load_after_it": {"enabled": one[0].prewarm, "s": round(prewarm_s, 1), **prewarm},
            "warm_bot_path": warm,
            "get_requests_warm_vs_fresh": round(warm["get_requests"] / fresh_each["get_requests"], 2),
        }

        latency: dict[str, Any] = {}
        for label, count in (("one_bucket", 1), ("all_buckets", args.buckets)):
            refs, local_set = s3_refs[:count], local_refs[:count]
            runner.proxy.reset()
            cold_t = [cold_bot_query(refs, v, params) for v in queries[: args.cold_queries]]
            cold_c = per_query(runner.proxy, len(cold_t))
            runner.proxy.reset()
            lance_t = [cold_bot_query(refs, v, params, lance_default_threads()) for v in queries[: args.cold_queries]]
            lance_c = per_query(runner.proxy, len(lance_t))
            for vector in warmup:
                runner.bot(refs, vector, params)
                runner.bot(local_set, vector, params)
            runner.prewarmed()
            fresh_t, fresh_c, _ = runner.measure(lambda v, r=refs: runner.fresh(r, v, params), queries)
            bot_t, bot_c, _ = runner.measure(lambda v, r=refs: runner.bot(r, v, params), queries)
            each_t, each_c, _ = runner.measure(lambda v, r=refs: runner.each_bucket_refines(r, v, params), queries)
            local_t, _, _ = runner.measure(lambda v, r=local_set: runner.bot(r, v, params), queries)
            latency[label] = {
                "s3_bot_path": {**percentiles(bot_t), **bot_c},
                "s3_bot_path_cold": {**percentiles(cold_t), **cold_c},
                "s3_bot_path_cold_lance_default_threads": {
                    "lance_cpu_threads": lance_default_threads(),
                    **percentiles(lance_t),
                    **lance_c,
                },
                "s3_refine_in_each_bucket": {**percentiles(each_t), **each_c},
                "s3_fresh_connection_per_query": {**percentiles(fresh_t), **fresh_c},
                "local_disk_bot_path": percentiles(local_t),
                "p50_speedup_vs_fresh": round(statistics.median(fresh_t) / statistics.median(bot_t), 1),
            }
        report["latency"] = latency

        sweep = []
        for refine in (int(r) for r in args.refine_sweep.split(",") if r):
            swept = SearchParams(k=K, nprobes=args.nprobes, refine_factor=refine)
            for vector in warmup[:5]:
                runner.bot(s3_refs, vector, swept)
            times, counts, found = runner.measure(lambda v, p=swept: runner.bot(s3_refs, v, p), queries)
            sweep.append(
                {"refine": refine, "recall@10": round(recall(found, truth), 3), **percentiles(times), **counts}
            )
        report["refine_all_buckets"] = sweep
        runner.loop.close()
        return report
    finally:
        proxy.stop()
        moto.stop()


if __name__ == "__main__":
    main()
