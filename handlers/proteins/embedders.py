"""Pluggable sequence embedders; the database records which one made its vectors, and a mismatch is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import BadInput
from handlers.proteins import kmer
from handlers.proteins.catalog import Embedder


class SequenceEmbedder(Protocol):
    """Turns amino-acid sequences into vectors of one space."""

    name: str
    dimension: int

    def embed_many(self, sequences: list[str]) -> np.ndarray:
        """One float32 row per sequence."""
        ...


class KmerEmbedder:
    """The offline hashed k-mer embedder (handlers/proteins/kmer.py)."""

    name = kmer.NAME
    dimension = kmer.DIMENSION

    def embed_many(self, sequences: list[str]) -> np.ndarray:
        """One unit-length row per sequence."""
        return kmer.embed_many(sequences)


def load_embedder(spec: str) -> SequenceEmbedder:
    """`kmer-hash-v1`, or the path of a local transformer model directory (its name names the embedder)."""
    if spec == kmer.NAME:
        return KmerEmbedder()
    path = Path(spec).expanduser()
    if path.is_dir():
        from handlers.proteins.transformer import TransformerEmbedder

        return TransformerEmbedder(path)
    raise BadInput(f"unknown embedder {spec!r}: use `{kmer.NAME}` or the directory of a local transformer model")


def check_compatible(embedder: SequenceEmbedder, recorded: Embedder | None) -> None:
    """Refuse to compare a sequence embedded by one model with vectors made by another."""
    if recorded is None:
        return
    if (embedder.name, embedder.dimension) != (recorded.name, recorded.dimension):
        raise BadInput(
            f"this database's vectors come from `{recorded.name}` ({recorded.dimension} dimensions), but opsbot "
            f"embeds sequences with `{embedder.name}` ({embedder.dimension} dimensions), so their distances would "
            "mean nothing. Search by protein id instead, or point OPSBOT_PROTEIN_EMBEDDER at the matching model."
        )
