"""How many index partitions a Lance search reads at once: Lance's compute threads, set before Lance starts.

Lance searches a query's probed IVF partitions `LANCE_CPU_THREADS` at a time, and by default that is the
machine's cores less two it keeps for I/O, at least one: on a 2- or 4-core container, the bot's usual
size, a query that is not cached reads its 20 partitions one or two after another, each a round trip to
object storage. `bench/proteins_s3.py` (20 ms a request, buckets of 250,000, 2 cores) measured one
bucket's cold query at 924 ms with Lance's default and 543 ms at 8 threads (four buckets: 956 and 869 ms,
the emulator their bound); by hand, one bucket took 560 ms at 4 threads and 495 at 20. Warm queries on
local disk did not change (7.9 and 7.5 ms p50 at 1 and 8 threads), nor did index builds (22.2 and 21.0 s
for 250,000 rows at 1 and 2). Lance reads the variable once, when it first needs it, so this runs on
import of the protein package, before any table is opened (documented in Lance's performance guide,
"Threading Model").
"""

from __future__ import annotations

import logging
import os

VARIABLE = "LANCE_CPU_THREADS"
# Partitions read at once at least; past 8 the cold query above gained 45 ms more at 20 threads.
MIN_SEARCH_THREADS = 8

log = logging.getLogger(__name__)


def configure_lance_threads(environ: os._Environ[str] | dict[str, str] = os.environ) -> int:
    """Set Lance's compute threads unless the operator has: the cores less two, at least MIN_SEARCH_THREADS.
    A value Lance could not parse (it would panic on first use) is replaced, with a warning."""
    given = environ.get(VARIABLE)
    if given is not None:
        if given.strip().isdigit() and int(given) > 0:
            return int(given)
        log.warning("%s=%r is not a positive whole number; using opsbot's default instead", VARIABLE, given)
    threads = max((os.cpu_count() or 1) - 2, MIN_SEARCH_THREADS)
    environ[VARIABLE] = str(threads)
    return threads
