"""Query files for batch search: FASTA sequences, or vectors (.npy, or an HDF5/Parquet embedding file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from bot.errors import BadInput
from handlers.proteins import sources
from handlers.proteins.query import sequence_query

# The CLI is not bound by Slack's text limit; titin, the longest known protein, has about 35,000 residues.
MAX_CLI_SEQUENCE = 40_000


def read_fasta(path: Path) -> Iterator[tuple[str, str]]:
    """(name, validated sequence) per record; the name is the header's first word."""
    name, parts = None, []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    yield name, _checked(path, name, "".join(parts))
                name, parts = (line[1:].split() or [f"query{number}"])[0], []
            elif line:
                if name is None:
                    raise BadInput(f"{path}:{number}: a FASTA file starts with a '>' header line")
                parts.append(line)
    if name is not None:
        yield name, _checked(path, name, "".join(parts))


def _checked(path: Path, name: str, sequence: str) -> str:
    try:
        return sequence_query(sequence, MAX_CLI_SEQUENCE).value
    except BadInput as error:
        raise BadInput(f"{path}: record {name}: {error.message}") from None


def read_vectors(path: Path, batch_rows: int = sources.DEFAULT_BATCH_ROWS) -> Iterator[tuple[list[str], np.ndarray]]:
    """(names, vectors) in batches: a .npy matrix (rows named by number) or an embedding file with ids."""
    if path.suffix.lower() == ".npy":
        matrix = np.load(path, mmap_mode="r")
        if matrix.ndim != 2:
            raise BadInput(f"{path}: expected a 2-D array (queries x dimension)")
        for start in range(0, len(matrix), batch_rows):
            chunk = np.asarray(matrix[start : start + batch_rows], dtype=np.float32)
            names = [str(i) for i in range(start, start + len(chunk))]
            sources.require_finite(path, names, chunk, start)
            yield names, chunk
        return
    _, dimension, _ = sources.describe(path)
    for batch in sources.batches(path, dimension, with_sequence=False, batch_rows=batch_rows):
        vectors = batch.column(sources.EMBEDDING)
        flat = vectors.flatten() if isinstance(vectors, pa.FixedSizeListArray) else vectors.values
        yield batch.column(sources.ID).to_pylist(), flat.to_numpy(zero_copy_only=False).reshape(-1, dimension)
