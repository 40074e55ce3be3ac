"""Percent identity between protein sequences, from a real global alignment (Biopython)."""

from __future__ import annotations

from functools import lru_cache

from Bio.Align import PairwiseAligner, substitution_matrices

# Needleman-Wunsch over the whole of both sequences is O(n*m): a cap keeps a k=1000 request bounded.
MAX_ALIGNMENTS = 100


@lru_cache(maxsize=1)
def _aligner() -> PairwiseAligner:
    # BLOSUM62 with BLAST's protein gap costs (11/1 scaled to Biopython's open/extend convention).
    return PairwiseAligner(
        mode="global",
        substitution_matrix=substitution_matrices.load("BLOSUM62"),
        open_gap_score=-11.0,
        extend_gap_score=-1.0,
    )


def percent_identity(query: str, target: str) -> float:
    """Identical positions over the alignment's columns (gaps included), as a percentage."""
    if not query or not target:
        return 0.0
    alignment = _aligner().align(query, target)[0]
    counts = alignment.counts()
    columns = counts.identities + counts.mismatches + counts.gaps
    return 100.0 * counts.identities / columns if columns else 0.0
