"""A small protein database for the sandbox: generated families in a LanceDB bucket table."""

from __future__ import annotations

import json
import random
from pathlib import Path

import lancedb
import pyarrow as pa

from handlers.proteins import kmer

TABLE = "bucket_0000"


def mutate(sequence: str, rate: float, rng: random.Random) -> str:
    """`sequence` with about `rate` of its residues substituted."""
    return "".join(rng.choice(kmer.AMINO_ACIDS) if rng.random() < rate else residue for residue in sequence)


def families(count: int = 20, members: int = 24, seed: int = 11) -> list[tuple[str, str, str]]:
    """(protein id, family id, sequence): a random root per family and members mutated from it by 2-15%."""
    rng = random.Random(seed)
    rows = []
    for f in range(count):
        family = f"FAM{f:03d}"
        root = "".join(rng.choice(kmer.AMINO_ACIDS) for _ in range(rng.randint(120, 300)))
        rows.append((f"{family}_root", family, root))
        for m in range(members):
            rows.append((f"{family}_m{m:02d}", family, mutate(root, rng.uniform(0.02, 0.15), rng)))
    return rows


def build_sample_database(directory: Path) -> Path:
    """Write the sample database; its table metadata names the embedder that made the vectors."""
    rows = families()
    vectors = kmer.embed_many([sequence for _, _, sequence in rows])
    schema = pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("family", pa.string()),
            pa.field("sequence", pa.string()),
            pa.field("embedding", pa.list_(pa.float32(), kmer.DIMENSION)),
        ],
        metadata={"opsbot.embedder": json.dumps({"name": kmer.NAME, "dimension": kmer.DIMENSION})},
    )
    table = pa.table(
        {
            "id": [r[0] for r in rows],
            "family": [r[1] for r in rows],
            "sequence": [r[2] for r in rows],
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), kmer.DIMENSION),
        },
        schema=schema,
    )
    lancedb.connect(directory).create_table(TABLE, data=table, mode="overwrite")
    return directory
