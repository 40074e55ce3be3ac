"""Embedding files the protein tests generate: HDF5 in the reference's layout, and Parquet."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write_h5(path: Path, ids: list[str], vectors: np.ndarray, sequences: list[str] | None = None) -> Path:
    """An HDF5 file with `id` and `embedding` datasets (and `sequence` when given)."""
    with h5py.File(path, "w") as handle:
        handle.create_dataset("id", data=np.array([i.encode() for i in ids]))
        handle.create_dataset("embedding", data=vectors.astype(np.float32))
        if sequences is not None:
            handle.create_dataset("sequence", data=sequences, dtype=h5py.string_dtype())
    return path


def write_parquet(path: Path, ids: list[str], vectors: np.ndarray) -> Path:
    """A Parquet file with `id` and a list<float> `embedding` column."""
    pq.write_table(pa.table({"id": ids, "embedding": [list(map(float, v)) for v in vectors]}), path)
    return path


def gaussian(rows: int, dimension: int = 960, seed: int = 0) -> np.ndarray:
    """Random vectors."""
    return np.random.default_rng(seed).standard_normal((rows, dimension)).astype(np.float32)
