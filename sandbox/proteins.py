"""A small protein database for the sandbox: generated families, ingested and indexed like production data."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from handlers.proteins import kmer
from handlers.proteins.catalog import Catalog
from handlers.proteins.indexing import index
from handlers.proteins.ingest import ingest

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


def write_families(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """The families as an embedding file (Parquet: id, sequence, embedding), as a pipeline would hand over."""
    vectors = kmer.embed_many([sequence for _, _, sequence in rows])
    table = pa.table(
        {
            "id": [r[0] for r in rows],
            "sequence": [r[2] for r in rows],
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), kmer.DIMENSION),
        }
    )
    pq.write_table(table, path)
    return path


def build_sample_database(uri: str, workdir: Path, storage_options: dict[str, str] | None = None) -> str:
    """Ingest and index the families (one bucket, the default index type, cosine) into a directory or `s3://`
    prefix; the database records kmer-hash-v1. The families' embedding file is written into `workdir`."""
    source = write_families(workdir / "proteins-families.parquet", families())
    catalog = Catalog(uri, storage_options)
    ingest(catalog, [source], embedder=kmer.NAME)
    index(catalog)
    return uri
