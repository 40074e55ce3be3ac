"""Block Kit and CSV for protein search answers (pure builders, no Slack calls)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from bot.blockkit import SECTION_TEXT, context, lines_within, section
from bot.wording import count
from handlers.proteins.indexing import IndexParams
from handlers.proteins.search import Hit
from handlers.proteins.service import DatabaseInfo, SearchResult

# A table block holds 100 rows; 25 (and the header) keep the answer readable on a phone. More go in a CSV.
INLINE_HITS = 25
_ID_WIDTH = 28


def nearest(n: int) -> str:
    """The head of an answer: "The nearest protein" for one hit, "5 nearest proteins" for more."""
    return "The nearest protein" if n == 1 else f"{n:,} nearest proteins"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(text: str) -> dict[str, str]:
    return {"type": "raw_text", "text": text}


def table(hits: list[Hit]) -> dict[str, Any]:
    """The hits as Slack's table block (https://docs.slack.dev/reference/block-kit/blocks/table-block): rank, id,
    cosine distance, identity, bucket. A table reflows on a phone, where a fixed-width code block wraps mid-row."""
    rows = [[_cell(title) for title in ("#", "protein", "distance", "identity", "bucket")]]
    for rank, hit in enumerate(hits, start=1):
        identity = f"{hit.identity:.1f}%" if hit.identity is not None else "-"
        values = (str(rank), _short(hit.id, _ID_WIDTH), f"{max(hit.distance, 0.0):.4f}", identity, hit.bucket)
        rows.append([_cell(value) for value in values])
    numbers = {"align": "right"}
    return {
        "type": "table",
        "column_settings": [numbers, {"is_wrapped": True}, numbers, numbers, {"align": "left"}],
        "rows": rows,
    }


def searching(label: str, buckets: int, k: int) -> str:
    """The interim answer while buckets are searched."""
    wanted = "the nearest protein" if k == 1 else f"the {k} nearest proteins"
    return f":mag: Searching {count(buckets, 'bucket')} for {wanted} to `{label}`…"


def results(result: SearchResult, csv_name: str | None = None) -> list[dict[str, Any]]:
    """The answer: a table of the first hits, and where the rest went when there are more."""
    shown = result.hits[:INLINE_HITS]
    params = result.params
    head = f"*{nearest(len(result.hits))} to `{result.query.label}`* (cosine distance, smaller is closer)"
    blocks = [section(head)]
    blocks.append(table(shown) if shown else section("No proteins found."))
    if csv_name and len(result.hits) > len(shown):
        blocks.append(
            section(f"The first {len(shown)} are shown; all {len(result.hits)} are in `{csv_name}`, in your DM.")
        )
    note = "identity: global alignment (BLOSUM62) to the query" if any(h.identity is not None for h in shown) else ""
    refine = params.refine_factor if params.refine_factor is not None else "per index type"
    settings = f"k={params.k} nprobes={params.nprobes} refine={refine}"
    timing = f"{count(result.buckets, 'bucket')} searched in {result.seconds * 1000:.0f} ms · {settings}"
    blocks.append(context(" · ".join(filter(None, [timing, note]))))
    return blocks


def results_csv(result: SearchResult) -> str:
    """Every hit as CSV, for answers too long for a message."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "id", "cosine_distance", "percent_identity", "bucket"])
    for rank, hit in enumerate(result.hits, start=1):
        identity = f"{hit.identity:.2f}" if hit.identity is not None else ""
        writer.writerow([rank, hit.id, f"{max(hit.distance, 0.0):.6f}", identity, hit.bucket])
    return out.getvalue()


def index_description(params: IndexParams | None) -> str:
    """A bucket's index: its type and what it was built with (`/protein info` and the CLI's info)."""
    if params is None:
        return "no index (exact search)"
    if params.type == "FLAT":
        return "FLAT (too few rows for an index: exact search)"
    described = f"{params.type} {params.metric}, {count(params.num_partitions, 'partition')}"
    if params.type == "IVF_PQ":
        return f"{described}, {count(params.num_sub_vectors, 'sub-vector')}, {count(params.num_bits, 'bit')}"
    if params.type in ("IVF_RQ", "IVF_SQ"):
        return f"{described}, {count(params.num_bits, 'bit')} per dimension"
    return described


def _index_kinds(details: DatabaseInfo) -> str:
    """How many buckets have which kind of index: the summary that stays whole however many buckets there are."""
    kinds = Counter(
        f"{p.type} {p.metric}" if (p := details.indexes.get(bucket)) else "no index" for bucket in details.buckets
    )
    return "Indexes: " + ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())


def info(details: DatabaseInfo) -> list[dict[str, Any]]:
    """`/protein info`: buckets, rows, dimension, index type and parameters, embedder."""
    embedder = details.embedder
    lines = [
        f"*Protein database* `{details.uri}`",
        f"{count(len(details.buckets), 'bucket')}, {count(details.rows, 'protein')}",
        f"Embedder: `{embedder.name}`, {embedder.dimension} dimensions" if embedder else "Embedder: none recorded",
    ]
    if details.buckets:
        lines.append(_index_kinds(details))
    blocks = [section("\n".join(lines))]
    rows = [
        f"{bucket}  {count:>13,}  {index_description(details.indexes.get(bucket))}"
        for bucket, count in details.buckets.items()
    ]
    if rows:
        # One section holds 3,000 characters: as many buckets as fit, then how many more there are.
        fence = "```"
        table = lines_within(rows, SECTION_TEXT - 2 * len(fence) - 2, prefix=fence + "\n")
        blocks.append(section(table + "\n" + fence))
    return blocks


def home(details: DatabaseInfo | None) -> list[dict[str, Any]]:
    """The Home tab's summary of the database."""
    if details is None:
        return [section("No protein database is configured (`OPSBOT_PROTEIN_DB`).")]
    indexed = sum(1 for b in details.buckets if b in details.indexes)
    embedder = f"`{details.embedder.name}`" if details.embedder else "no embedder recorded"
    return [
        section(
            f"{count(details.rows, 'protein')} in {count(len(details.buckets), 'bucket')} ({indexed} indexed), "
            f"{embedder}.\n"
            "Try `/protein <protein-id | sequence>`."
        )
    ]
