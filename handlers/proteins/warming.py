"""Loading a bucket's whole vector index into the cache, in the background, once no query is running.

The first query that opens a bucket asks for the load (`warm_in_background`); bucket jobs count as running
queries (`query`, `running`), and a load waits until none has run for QUIET_S, so it never shares the object
store with a query's own reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import structlog

from handlers.proteins.sources import EMBEDDING

log = structlog.get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


# Whole-index loads, per bucket table and generation: asked for by the first query that opens the bucket,
# run on the same loop once no query is running, never in a query's path (on S3 a 250,000-row index is
# thousands of GETs).
_WARMING: dict[tuple[Any, ...], asyncio.Task[None]] = {}
# Bucket queries running in this process. On the S3 emulator, a cold process's first query over four
# buckets of 50,000 took 2.4 s with the index loads reading beside it, against 1.4 s alone.
_RUNNING = [0]
# How long no query must have run before an index load starts: longer than the gaps between a search's
# rounds (estimates, re-ranking, the hits' ids), so a load does not slip in between them.
QUIET_S = 0.2


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[None]:
    """Marks a query in flight in this process: index loads wait for none to be."""
    _RUNNING[0] += 1
    try:
        yield
    finally:
        _RUNNING[0] -= 1


def query(job: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A bucket job that counts as a running query wherever it runs (here, or in a Ray worker)."""

    @functools.wraps(job)
    async def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        async with running():
            return await job(*args, **kwargs)

    return counted


async def _quiet() -> None:
    """Returns once no query has run in this process for QUIET_S."""
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while loop.time() - quiet_since < QUIET_S:
        await asyncio.sleep(QUIET_S / 4)
        if _RUNNING[0]:
            quiet_since = loop.time()


def warm_in_background(key: tuple[Any, ...], table: Any) -> None:
    """Ask for the table's whole-index load on the running loop, once per key (table and generation)."""
    task = _WARMING.get(key)
    # Started again when its loop ended first (`asyncio.run` cancels what is left when its coroutine returns).
    if task is None or task.cancelled() or task.get_loop().is_closed():
        _WARMING[key] = asyncio.get_running_loop().create_task(_prewarm(table), name=f"prewarm {key[1]}")


async def prewarmed() -> None:
    """Wait for the index loads running on this loop: a benchmark's warm figures, or a loop about to stop."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(t for t in list(_WARMING.values()) if t.get_loop() is loop and not t.done()))


async def _prewarm(table: Any) -> None:
    """Load the table's vector index into the cache, once no query is running: its partitions are then read
    once per process, not by the first queries that probe each (on S3, a GET each)."""
    await _quiet()
    try:
        for index in await table.list_indices():
            if EMBEDDING in index.columns:
                await table.prewarm_index(index.name)
    except Exception:  # queries still work, reading partitions as they go; say why once
        log.warning("protein_index_prewarm_failed", exc_info=True)
