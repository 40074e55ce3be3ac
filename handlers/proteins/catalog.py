"""What a protein database knows about itself: its buckets, the files in them, its embedder and indexes.

Two small LanceDB tables beside the bucket tables keep it, so the same code serves a local directory
and an `s3://` prefix: `opsbot_manifest` (one row per ingested file) and `opsbot_meta` (JSON by key).
The manifest is the source of truth for which buckets exist: a table left half-written by a crashed
ingest is in no manifest row, so it is never searched and the next ingest replaces it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lancedb
import pyarrow as pa

from bot.errors import BadInput, NotFound

MANIFEST, META = "opsbot_manifest", "opsbot_meta"
BUCKET_PREFIX = "bucket_"
EMBEDDER_KEY = "embedder"

_MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("fingerprint", pa.string()),
        pa.field("source", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("bucket", pa.string()),
        pa.field("ingested_at", pa.string()),
    ]
)
_META_SCHEMA = pa.schema([pa.field("key", pa.string()), pa.field("value", pa.string())])


def bucket_name(number: int) -> str:
    """`bucket_0007`: tables sort in the order they were added."""
    return f"{BUCKET_PREFIX}{number:04d}"


@dataclass(frozen=True)
class ManifestRow:
    """One ingested file."""

    fingerprint: str
    source: str
    rows: int
    bucket: str


@dataclass(frozen=True)
class Embedder:
    """Which model produced the database's vectors."""

    name: str
    dimension: int


def now(timespec: str = "seconds") -> str:
    """An ISO timestamp for the catalog."""
    return datetime.now(UTC).isoformat(timespec=timespec)


class Catalog:
    """Reads and writes the manifest and metadata tables of one database."""

    def __init__(self, uri: str, storage_options: dict[str, str] | None = None) -> None:
        self.uri = uri
        self.storage_options = storage_options or {}
        self.db = lancedb.connect(uri, storage_options=storage_options or None)
        # Buckets are written in parallel; their manifest and metadata commits go one at a time.
        self._writes = threading.Lock()

    def tables(self) -> list[str]:
        """Every table in the database (listings come in pages)."""
        names: list[str] = []
        token = None
        while True:
            page = self.db.list_tables(page_token=token)
            names += page.tables
            token = page.page_token
            if not token or not page.tables:
                return names

    def _table(self, name: str, schema: pa.Schema) -> Any:
        if name in self.tables():
            return self.db.open_table(name)
        return self.db.create_table(name, schema=schema, exist_ok=True)

    def manifest(self) -> list[ManifestRow]:
        """Every ingested file."""
        if MANIFEST not in self.tables():
            return []
        rows = self.db.open_table(MANIFEST).to_arrow().to_pylist()
        return [ManifestRow(r["fingerprint"], r["source"], r["rows"], r["bucket"]) for r in rows]

    def record(self, rows: list[ManifestRow]) -> None:
        """Add ingested files to the manifest (after their bucket is fully written)."""
        if rows:
            stamp = now()
            data = [{**row.__dict__, "ingested_at": stamp} for row in rows]
            with self._writes:
                self._table(MANIFEST, _MANIFEST_SCHEMA).add(pa.Table.from_pylist(data, schema=_MANIFEST_SCHEMA))

    def buckets(self) -> dict[str, int]:
        """Bucket name -> rows, from the manifest."""
        counts: dict[str, int] = {}
        for row in self.manifest():
            counts[row.bucket] = counts.get(row.bucket, 0) + row.rows
        return dict(sorted(counts.items()))

    def meta(self) -> dict[str, Any]:
        """All metadata, decoded."""
        if META not in self.tables():
            return {}
        return {r["key"]: json.loads(r["value"]) for r in self.db.open_table(META).to_arrow().to_pylist()}

    def put_meta(self, key: str, value: Any) -> None:
        """Set one metadata key."""
        data = pa.Table.from_pylist([{"key": key, "value": json.dumps(value)}], schema=_META_SCHEMA)
        with self._writes:
            table = self._table(META, _META_SCHEMA)
            table.merge_insert("key").when_matched_update_all().when_not_matched_insert_all().execute(data)

    def embedder(self) -> Embedder | None:
        """The embedder recorded at the first ingest."""
        value = self.meta().get(EMBEDDER_KEY)
        return Embedder(value["name"], int(value["dimension"])) if value else None

    def claim_embedder(self, name: str, dimension: int) -> None:
        """Record the embedder, or refuse vectors from a different one: mixed spaces make distances meaningless."""
        recorded = self.embedder()
        if recorded is None:
            self.put_meta(EMBEDDER_KEY, {"name": name, "dimension": dimension})
        elif (recorded.name, recorded.dimension) != (name, dimension):
            raise BadInput(
                f"this database holds {recorded.dimension}-dimensional vectors from `{recorded.name}`; "
                f"these are {dimension}-dimensional from `{name}`. Use another database for them."
            )

    def require(self) -> dict[str, int]:
        """The buckets, or a clear error when the database holds none."""
        buckets = self.buckets()
        if not buckets:
            raise NotFound(f"no protein buckets in {self.uri}: run `opsbot proteins ingest` first")
        return buckets
