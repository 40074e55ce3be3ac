"""Best-fit bin packing of embedding files into buckets of about the same number of vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """Something to pack: a file and how many vectors it holds."""

    name: str
    rows: int


@dataclass
class Bin:
    """One bucket being filled."""

    capacity: int
    items: list[Item] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Vectors packed so far."""
        return sum(item.rows for item in self.items)

    @property
    def free(self) -> int:
        """Room left; negative for a bin holding one item larger than the capacity."""
        return self.capacity - self.rows


def best_fit(items: Sequence[Item], capacity: int) -> list[Bin]:
    """Best-fit decreasing: each file, largest first, goes to the bin it leaves least room in.

    A file larger than the capacity gets a bin of its own (files are never split: the manifest tracks
    whole files). Like every any-fit packing, no two bins could be merged, so at most one bin is half
    full or less and the count stays within twice the lower bound.
    """
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    bins: list[Bin] = []
    for item in sorted(items, key=lambda i: (-i.rows, i.name)):
        fits = [b for b in bins if b.free >= item.rows]
        target = min(fits, key=lambda b: b.free) if fits else None
        if target is None:
            target = Bin(capacity)
            bins.append(target)
        target.items.append(item)
    return bins
