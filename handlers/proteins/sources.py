"""Embedding files (HDF5 as in the reference, and Parquet) read as bounded Arrow record batches."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import blake3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bot.errors import BadInput

ID, EMBEDDING, SEQUENCE = "id", "embedding", "sequence"
HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")
PARQUET_SUFFIXES = (".parquet", ".pq")
# A few hundred MB of float32 at 960 dimensions: large enough for Lance's writer, bounded whatever the file.
DEFAULT_BATCH_ROWS = 32_768


def schema(dimension: int, with_sequence: bool) -> pa.Schema:
    """The bucket tables' schema: id, a fixed-size float32 vector and, when known, the sequence."""
    fields = [pa.field(ID, pa.string(), nullable=False), pa.field(EMBEDDING, pa.list_(pa.float32(), dimension))]
    if with_sequence:
        fields.append(pa.field(SEQUENCE, pa.string()))
    return pa.schema(fields)


def kind(path: Path) -> str:
    """'hdf5' or 'parquet', from the file name."""
    suffix = path.suffix.lower()
    if suffix in HDF5_SUFFIXES:
        return "hdf5"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise BadInput(f"{path}: not an HDF5 (.h5, .hdf5) or Parquet (.parquet) file")


# BLAKE3, a cryptographic hash built for SIMD: a quarter of SHA-256's CPU with the CPU's SHA extensions
# (`bench/fingerprints.py`: 0.64 s of a core for a 3.9 GB file against 2.25 s). Ingest hashes beside the
# write, so on two cores that is time the write gets back. Prefixed, so a print names its algorithm.
FINGERPRINT_PREFIX = "blake3:"
# Prints older manifests hold, by prefix: SHA-256, and before it unprefixed 128-bit BLAKE2b.
OLDER_PRINTS: dict[str, Callable[[], Any]] = {
    "sha256:": hashlib.sha256,
    "": lambda: hashlib.blake2b(digest_size=16),
}


def fingerprint(path: Path) -> str:
    """A hash of the file's content, so a renamed or copied file is still recognised as ingested."""
    return fingerprints(path)[0]


def fingerprints(path: Path, older: Iterable[str] = (), chunk: int = 8 << 20) -> list[str]:
    """The file's fingerprint, then its print in each older scheme named (an `OLDER_PRINTS` prefix), all from
    one pass over the file."""
    schemes = list(older)
    digests = [blake3.blake3(), *(OLDER_PRINTS[scheme]() for scheme in schemes)]
    hash_file(path, digests, chunk)
    prefixes = [FINGERPRINT_PREFIX, *schemes]
    return [prefix + digest.hexdigest() for prefix, digest in zip(prefixes, digests, strict=True)]


def hash_file(path: Path, digests: list[Any], chunk: int = 8 << 20) -> None:
    """Feed the file to every digest in one pass, through one reused buffer (no allocation per chunk)."""
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            for digest in digests:
                digest.update(view[:read])


def scheme(print_: str) -> str:
    """The prefix naming the algorithm of a manifest's print ('' for the bare BLAKE2b prints of old)."""
    return next((prefix for prefix in (FINGERPRINT_PREFIX, *OLDER_PRINTS) if print_.startswith(prefix)), "")


def describe(path: Path) -> tuple[int, int, bool]:
    """(rows, dimension, has a sequence column), read from the file's metadata only."""
    if kind(path) == "hdf5":
        import h5py

        with h5py.File(path, "r") as handle:
            _require(path, ID in handle and EMBEDDING in handle, "needs `id` and `embedding` datasets")
            ids, vectors = handle[ID], handle[EMBEDDING]
            _require(path, vectors.ndim == 2, "`embedding` must be a 2-D dataset (rows x dimension)")
            _require(path, ids.shape[0] == vectors.shape[0], "`id` and `embedding` have different lengths")
            return int(vectors.shape[0]), int(vectors.shape[1]), SEQUENCE in handle
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    _require(path, ID in names and EMBEDDING in names, "needs `id` and `embedding` columns")
    vector_type = parquet.schema_arrow.field(EMBEDDING).type
    if pa.types.is_fixed_size_list(vector_type):
        dimension = vector_type.list_size
    else:
        first = next(parquet.iter_batches(batch_size=1, columns=[EMBEDDING]), None)
        dimension = len(first.column(0)[0].values) if first is not None and first.num_rows else 0
    return parquet.metadata.num_rows, dimension, SEQUENCE in names


def batches(
    path: Path, dimension: int, with_sequence: bool, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """The file's rows as record batches of the bucket schema, at most `batch_rows` at a time."""
    target = schema(dimension, with_sequence)
    reader = _hdf5_batches if kind(path) == "hdf5" else _parquet_batches
    first_row = 0
    for batch in reader(path, dimension, batch_rows):
        require_numbers(path, batch[ID], batch[EMBEDDING], first_row)
        first_row += len(batch[ID])
        columns = [batch[ID], batch[EMBEDDING]]
        if with_sequence:
            columns.append(batch[SEQUENCE] if SEQUENCE in batch else pa.nulls(len(batch[ID]), pa.string()))
        yield pa.record_batch(columns, schema=target)


def require_numbers(path: Path, ids: pa.Array, vectors: pa.FixedSizeListArray, first_row: int) -> None:
    """Refuse a missing embedding, naming its row, then any NaN or infinity (`require_finite`)."""
    missing = vectors.is_null().to_numpy(zero_copy_only=False)
    if missing.any():
        _refuse(path, ids, int(np.flatnonzero(missing)[0]), first_row)
    values = vectors.flatten().to_numpy(zero_copy_only=False)
    require_finite(path, ids, values.reshape(len(vectors), vectors.type.list_size), first_row)


def require_finite(path: Path, ids: Sequence[Any], vectors: np.ndarray, first_row: int) -> None:
    """Refuse an embedding with a NaN or infinity, naming its row: cosine distances to it are NaN. (LanceDB
    refuses NaNs too, but as a traceback that names options opsbot does not take.) About 6 ms a batch of
    32,768 x 960."""
    finite = np.isfinite(vectors)
    if not finite.all():
        _refuse(path, ids, int(np.flatnonzero(~finite.all(axis=1))[0]), first_row)


def _refuse(path: Path, ids: Sequence[Any], row: int, first_row: int) -> NoReturn:
    # str() of an Arrow string scalar is its value, so `ids` may be an Arrow array or a list of names.
    raise BadInput(
        f"{path}: the embedding of row {first_row + row} (id `{ids[row]}`) is missing or holds NaN or "
        "infinite values; fix or drop that row and try again"
    )


def _hdf5_batches(path: Path, dimension: int, batch_rows: int) -> Iterator[dict[str, pa.Array]]:
    import h5py

    with h5py.File(path, "r") as handle:
        ids, vectors = handle[ID], handle[EMBEDDING]
        sequences = handle.get(SEQUENCE)
        _require(path, vectors.shape[1] == dimension, f"vectors have {vectors.shape[1]} dimensions, not {dimension}")
        for start in range(0, vectors.shape[0], batch_rows):
            stop = min(start + batch_rows, vectors.shape[0])
            # One slab read per column: h5py hands back contiguous numpy arrays, Arrow wraps them.
            slab = np.ascontiguousarray(vectors[start:stop], dtype=np.float32)
            columns = {ID: _strings(ids, start, stop), EMBEDDING: _vectors(slab, dimension)}
            if sequences is not None:
                columns[SEQUENCE] = _strings(sequences, start, stop)
            yield columns


def _strings(dataset: object, start: int, stop: int) -> pa.Array:
    values = dataset[start:stop]  # type: ignore[index]
    if values.dtype.kind in "SO":
        return pa.array(dataset.asstr()[start:stop].tolist(), pa.string())  # type: ignore[attr-defined]
    return pa.array(values.astype(str).tolist(), pa.string())


def _vectors(slab: np.ndarray, dimension: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(slab.reshape(-1)), dimension)


def _parquet_batches(path: Path, dimension: int, batch_rows: int) -> Iterator[dict[str, pa.Array]]:
    parquet = pq.ParquetFile(path)
    columns = [c for c in (ID, EMBEDDING, SEQUENCE) if c in parquet.schema_arrow.names]
    vector_type = pa.list_(pa.float32(), dimension)
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
        vectors = batch.column(EMBEDDING)
        try:
            vectors = vectors.cast(vector_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise BadInput(f"{path}: every embedding must have {dimension} numbers") from None
        out = {ID: batch.column(ID).cast(pa.string()), EMBEDDING: vectors}
        if SEQUENCE in columns:
            out[SEQUENCE] = batch.column(SEQUENCE).cast(pa.string())
        yield out


def _require(path: Path, condition: bool, problem: str) -> None:
    if not condition:
        raise BadInput(f"{path}: {problem}")
