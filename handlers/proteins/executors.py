"""Where per-bucket work runs: threads and the asyncio loop of this process (default), or Ray tasks.

Ingest, index builds and the search fan-out hand their per-bucket jobs to an executor, so one code path
serves both. A job is a module-level function whose first argument is a `BucketRef`: it opens the bucket
by URI itself, so nothing but plain data (paths, arrays, Arrow tables, dataclasses) crosses to a Ray
worker, never a LanceDB handle. Jobs return results; the caller alone writes the manifest and metadata.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from bot.errors import BadInput, OpsbotError

R = TypeVar("R")
ExecutorKind = Literal["local", "ray"]
KINDS: tuple[ExecutorKind, ...] = ("local", "ray")


@dataclass(frozen=True)
class BucketRef:
    """Everything a worker needs to open one bucket table itself."""

    uri: str
    name: str
    storage_options: tuple[tuple[str, str], ...] = ()
    # Changes when the bucket's rows or index change, so a worker's cached handle is reopened.
    generation: str = ""
    # LanceDB's index and metadata caches for the process that searches it, in MiB (0: LanceDB's defaults).
    cache_mb: int = 0
    # The bucket's vector index as recorded ("IVF_PQ", "IVF_RQ", ...; "" for none) and its bits per
    # dimension: how hard to re-rank.
    index_type: str = ""
    index_bits: int = 0
    # Load the whole vector index into the cache when the table is opened: set when every bucket's index
    # fits the process's index cache, so no query waits on reading partitions.
    prewarm: bool = False

    @property
    def options(self) -> dict[str, str] | None:
        """The storage options as LanceDB takes them."""
        return dict(self.storage_options) or None

    @property
    def on_object_store(self) -> bool:
        """Whether the bucket is on object storage (`s3://`, `gs://`, `az://`, ...), where every read is a
        request, rather than a local directory."""
        scheme = urlsplit(self.uri).scheme
        return len(scheme) > 1 and scheme != "file"  # one letter: a Windows drive


def bucket_ref(
    uri: str,
    name: str,
    storage_options: Mapping[str, str] | None,
    generation: str = "",
    cache_mb: int = 0,
    index_type: str = "",
    index_bits: int = 0,
    prewarm: bool = False,
) -> BucketRef:
    """A hashable reference to a bucket."""
    options = tuple(sorted((storage_options or {}).items()))
    return BucketRef(uri, name, options, generation, cache_mb, index_type, index_bits, prewarm)


class BucketExecutor(Protocol):
    """Runs per-bucket jobs somewhere."""

    kind: ExecutorKind
    in_process: bool
    """True when jobs share this process's memory (so they may report progress through callbacks)."""

    def each(self, job: Callable[..., R], jobs: Mapping[str, tuple[Any, ...]]) -> Iterator[tuple[str, R]]:
        """Run `job(*args)` for every key's args, yielding (key, result) as each finishes.

        A failing job does not cancel the others: their results are yielded first, then its error raised.
        """
        ...

    async def gather(self, job: Callable[..., Awaitable[R]], refs: Sequence[BucketRef], *args: Any) -> list[R]:
        """`job(ref, *args)` for every bucket at once, results in the order of `refs`."""
        ...


class LocalExecutor:
    """Threads for ingest and index builds, the caller's asyncio loop for the search fan-out."""

    kind: ExecutorKind = "local"
    in_process = True

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def each(self, job: Callable[..., R], jobs: Mapping[str, tuple[Any, ...]]) -> Iterator[tuple[str, R]]:
        """Up to `workers` jobs at once on threads."""
        if not jobs:
            return
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=min(self.workers, len(jobs)), thread_name_prefix="proteins") as pool:
            pending = {pool.submit(job, *args): key for key, args in jobs.items()}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    key = pending.pop(future)
                    if future.exception() is not None:
                        failure = failure or future.exception()
                    else:
                        yield key, future.result()
        if failure is not None:
            raise failure

    async def gather(self, job: Callable[..., Awaitable[R]], refs: Sequence[BucketRef], *args: Any) -> list[R]:
        """Every bucket's coroutine concurrently on the running loop (LanceDB's async API)."""
        return list(await asyncio.gather(*(job(ref, *args) for ref in refs)))


class LoopThread:
    """An event loop running on its own thread, so sync callers (listeners, the CLI, a Ray worker's tasks) can
    use LanceDB's async API, and what a job starts in the background (a bucket's index being loaded into the
    cache) goes on between calls."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        """The coroutine's result, run on the loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        """Cancel what still runs in the background, then stop the loop."""
        try:
            asyncio.run_coroutine_threadsafe(_cancel_background(), self.loop).result(5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


async def _cancel_background() -> None:
    """Cancel what still runs on this loop besides the caller, and let it finish."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# A Ray worker's loop, kept across its tasks (started by the first that needs it).
_WORKER_LOOP: list[LoopThread] = []


def run_job(job: Callable[..., Any], *args: Any) -> Any:
    """What a Ray worker runs: the job, on the worker's loop thread when the job is a coroutine function."""
    if inspect.iscoroutinefunction(job):
        if not _WORKER_LOOP:
            _WORKER_LOOP.append(LoopThread("bucket-jobs"))
        return _WORKER_LOOP[0].run(job(*args))
    return job(*args)


class RayExecutor:
    """Ray tasks: a local Ray instance on this machine, or the cluster at `address`."""

    kind: ExecutorKind = "ray"
    in_process = False

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise BadInput("the Ray executor needs Ray: pip install 'opsbot[ray]'") from None
        self.ray = ray
        self.workers = workers
        if not ray.is_initialized():
            # No address starts a single-node Ray instance here (it ends with this process).
            ray.init(address=address or None, include_dashboard=False, log_to_driver=False)
        self._remote = ray.remote(run_job)

    def _unwrap(self, call: Callable[[], R]) -> R:
        # A worker's user error (bad input, not found) reaches the caller as itself, not as a Ray wrapper.
        try:
            return call()
        except self.ray.exceptions.RayTaskError as error:
            if isinstance(error.cause, OpsbotError):
                raise error.cause from None
            raise

    def each(self, job: Callable[..., R], jobs: Mapping[str, tuple[Any, ...]]) -> Iterator[tuple[str, R]]:
        """One Ray task per job, at most `workers` in flight when set (else as many as the cluster runs)."""
        queue = list(jobs.items())
        limit = self.workers or len(queue)
        pending: dict[Any, str] = {}
        failure: BaseException | None = None
        while queue or pending:
            while queue and len(pending) < limit:
                key, args = queue.pop(0)
                pending[self._remote.remote(job, *args)] = key
            done, _ = self.ray.wait(list(pending), num_returns=1)
            key = pending.pop(done[0])
            try:
                result = self._unwrap(lambda ref=done[0]: self.ray.get(ref))
            except Exception as error:  # the others still finish and are yielded; the first error follows
                failure = failure or error
                continue
            yield key, result
        if failure is not None:
            raise failure

    async def gather(self, job: Callable[..., Awaitable[R]], refs: Sequence[BucketRef], *args: Any) -> list[R]:
        """One Ray task per bucket, awaited together."""
        tasks = [self._remote.remote(job, ref, *args) for ref in refs]
        return await self._await(tasks)

    async def _await(self, tasks: list[Any]) -> list[Any]:
        try:
            return list(await asyncio.gather(*(asyncio.wrap_future(t.future()) for t in tasks)))
        except self.ray.exceptions.RayTaskError as error:
            if isinstance(error.cause, OpsbotError):
                raise error.cause from None
            raise


def make_executor(kind: str = "local", *, address: str | None = None, workers: int | None = None) -> BucketExecutor:
    """The executor a setting or CLI flag names."""
    if kind == "local":
        return LocalExecutor(workers or 1)
    if kind == "ray":
        return RayExecutor(address, workers)
    raise BadInput(f"unknown protein executor {kind!r}: use one of {', '.join(KINDS)}")
