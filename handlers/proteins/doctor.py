"""`opsbot doctor`'s check of the protein database."""

from __future__ import annotations

from bot.doctor_resources import Finding
from bot.settings import Settings
from bot.wording import count


def check_proteins(settings: Settings) -> Finding:
    """The protein database opens with LanceDB and holds buckets."""
    if settings.protein_db is None:
        return Finding("protein database", "SKIP", "skipped: OPSBOT_PROTEIN_DB unset")
    from handlers.proteins.catalog import Catalog  # LanceDB is heavy: load it only when asked

    try:
        buckets = Catalog(settings.protein_db, settings.protein_storage).buckets()
    except Exception as exc:  # LanceDB and object stores raise many kinds
        return Finding("protein database", "FAIL", f"{settings.protein_db}: {type(exc).__name__}: {exc}")
    if not buckets:
        return Finding(
            "protein database", "WARN", f"{settings.protein_db} holds no buckets: run `opsbot proteins ingest`"
        )
    return Finding(
        "protein database",
        "PASS",
        f"{count(len(buckets), 'bucket')}, {count(sum(buckets.values()), 'protein')} in {settings.protein_db}",
    )
