"""File fingerprints for the protein manifest: BLAKE3 (what ingest records) against the older schemes.

Ingest hashes every new embedding file while Lance writes it (`handlers/proteins/ingest.py`), on a thread
beside the writer, so on a small machine the hash takes cores the write needs. This measures each scheme's
pass over the same file, read as ingest reads it (`sources.hash_file`): wall and CPU seconds and MB/s, with
SHA-256 (the scheme before BLAKE3) as the baseline, then `sources.fingerprint` itself. The file is made
here (random bytes, `--mib` of them) unless `--file` names one; it is read once first so every pass reads
it from the page cache. Prints one JSON document.

`python bench/fingerprints.py --mib 2048`
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import blake3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.proteins import sources  # noqa: E402

CHUNK = 8 << 20
SCHEMES: dict[str, Callable[[], Any]] = {
    "sha256": sources.OLDER_PRINTS["sha256:"],  # the baseline: ingest's scheme before BLAKE3
    "blake3": blake3.blake3,
    "blake2b_128": sources.OLDER_PRINTS[""],
}


def make_file(folder: Path, mib: int) -> Path:
    """`mib` MiB of random bytes (incompressible, like float vectors)."""
    path = folder / "fingerprint-probe.bin"
    block = os.urandom(CHUNK)
    with path.open("wb") as handle:
        for _ in range(max(1, (mib << 20) // CHUNK)):
            handle.write(block)
    return path


def timed(run: Callable[[], object], nbytes: int) -> dict:
    """Wall and CPU seconds of one pass, and its MB/s."""
    started, cpu = time.perf_counter(), os.times()
    run()
    wall, after = time.perf_counter() - started, os.times()
    used = after.user - cpu.user + after.system - cpu.system
    return {"seconds": round(wall, 3), "cpu_s": round(used, 3), "mb_per_s": round(nbytes / wall / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=2048, help="Size of the file made here.")
    parser.add_argument("--file", type=Path, default=None, help="Hash this file instead.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fingerprints-") as folder:
        path = args.file or make_file(Path(folder), args.mib)
        nbytes = path.stat().st_size
        sources.hash_file(path, [])  # a read with no digest: into the page cache
        report: dict = {"bytes": nbytes, "cpus": os.cpu_count()}
        for name, make in SCHEMES.items():
            report[name] = timed(lambda make=make: sources.hash_file(path, [make()], CHUNK), nbytes)
        report["ingest_fingerprint"] = timed(lambda: sources.fingerprint(path), nbytes)
    baseline = report["sha256"]["cpu_s"]
    report["cpu_vs_sha256"] = {
        name: round(report[name]["cpu_s"] / baseline, 2) for name in (*SCHEMES, "ingest_fingerprint")
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
