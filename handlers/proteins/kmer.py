"""An offline protein embedder: hashed k-mer composition, needing no model download.

Each sequence becomes a 960-dimensional vector (the width of the reference's AMPLIFY embeddings, so
the same LanceDB tables and indexes serve both): every k-mer for k = 1, 2, 3 is hashed to one of the
960 slots with a sign, counts are weighted by k, and the vector is scaled to unit length. Proteins
that share many k-mers, like members of one family, get small cosine distances.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
DIMENSION = 960
NAME = "kmer-hash-v1"
_K = (1, 2, 3)


@lru_cache(maxsize=20_000)
def _slot(kmer: str) -> tuple[int, float]:
    digest = hashlib.blake2b(kmer.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % DIMENSION, (1.0 if value >> 63 else -1.0)


def embed(sequence: str) -> np.ndarray:
    """The unit-length embedding of an amino-acid sequence (upper-case letters of AMINO_ACIDS)."""
    vector = np.zeros(DIMENSION, dtype=np.float32)
    for k in _K:
        for start in range(len(sequence) - k + 1):
            slot, sign = _slot(sequence[start : start + k])
            vector[slot] += sign * k
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def embed_many(sequences: list[str]) -> np.ndarray:
    """Embeddings of several sequences, one row each."""
    return np.stack([embed(s) for s in sequences]) if sequences else np.zeros((0, DIMENSION), np.float32)
