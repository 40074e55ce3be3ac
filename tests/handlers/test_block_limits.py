"""Cards stay inside Slack's Block Kit limits however much DataZone or LanceDB hand them, and say what they cut."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.proteins import blocks as protein_blocks
from handlers.proteins.indexing import IndexParams
from handlers.proteins.service import DatabaseInfo
from handlers.publishing import blocks as publishing_blocks
from handlers.publishing.catalog import Preview
from handlers.publishing.runs import CREATED, Activity, RunView
from handlers.subscriptions import blocks as subscription_blocks
from handlers.subscriptions import ids
from handlers.subscriptions.grants import Subscription
from handlers.subscriptions.policy import Verdict
from handlers.subscriptions.service import RequestView
from sandbox.slack.blockkit import MESSAGE_BLOCKS, MESSAGE_TYPES, Problems, check_blocks

TERMS = tuple(f"glossary-term-{i:04d}" for i in range(300))


def slack_accepts(blocks: list[dict[str, Any]]) -> None:
    problems = Problems()
    check_blocks(blocks, "/blocks", problems, types=MESSAGE_TYPES, most=MESSAGE_BLOCKS)
    assert not problems, problems.items


def texts(blocks: list[dict[str, Any]]) -> str:
    found = [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]
    found += [f["text"] for b in blocks for f in b.get("fields", [])]
    return "\n".join(found)


def test_a_subscription_card_with_many_glossary_terms_counts_the_rest():
    view = RequestView(
        domain_id="dzd_x",
        request_id="req1",
        status="PENDING",
        reason="Campaign analysis",
        created_at=datetime.now(UTC),
        asset_id="ast1",
        asset_name="customer_pii",
        listing_id="lst1",
        owner_project_id="prj1",
        owner_project_name="Sales producer",
        requester="maria",
        requester_slack=None,
        glossary_terms=TERMS,
        verdict=Verdict("review", "confidential", 0.88, "confidential data"),
        reviewer=None,
        decision_comment=None,
    )
    card = subscription_blocks.card(view)
    slack_accepts(card)
    text = texts(card)
    assert "*Classification*\nconfidential" in text and "*Data quality*\n0.88" in text
    shown = sum(term in text for term in TERMS)
    assert 0 < shown < len(TERMS) and f"… and {len(TERMS) - shown} more" in text


def test_a_publish_preview_keeps_quality_and_listing_past_many_terms():
    preview = Preview(
        domain_id="dzd_x",
        asset_id="ast1",
        name="mkt_sls_table",
        type_name="GlueTableAssetType",
        owner_project_id="prj1",
        owner_project_name="Sales producer",
        forms=("BusinessMetadata",),
        missing=tuple(f"field_{i}" for i in range(400)),
        glossary_terms=TERMS * 3,
        quality=0.97,
        listing_status="ACTIVE",
        listing_id="lst1",
    )
    card = publishing_blocks.preview_card(preview, publish=True)
    slack_accepts(card)
    text = texts(card)
    assert "*Data quality score:* 0.97" in text and "*Listing:* active" in text
    assert "more" in text.split("*Glossary terms:*")[1].splitlines()[0]


def test_a_run_summary_offers_one_preview_button_per_block():
    activities = tuple(Activity("sales", f"table_{i}", CREATED, f"ast{i}", None) for i in range(12)) + tuple(
        Activity("sales", f"broken_{i}", "FAILED", None, "unsupported column type " * 20) for i in range(40)
    )
    run = RunView(
        "run1", "ds1", "opsbot-glue-sales", "PARTIALLY_SUCCEEDED", {"added": 12, "failed": 40}, None, activities
    )
    summary = publishing_blocks.run_summary(run, "dzd_x", gate=True)
    slack_accepts(summary)
    buttons = [e for b in summary if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) == publishing_blocks.MAX_PREVIEW_BUTTONS
    assert "… and" in texts(summary)


def test_protein_info_summarises_many_buckets():
    buckets = {f"bucket_{i:04d}_of_a_large_protein_database": 27_000_000 + i for i in range(40)}
    params = IndexParams("IVF_PQ", "cosine", 5196, 60, 8, 27_000_000, 1.0, "2026-01-01")
    indexes = {name: params for name in list(buckets)[:36]}
    answer = protein_blocks.info(DatabaseInfo("s3://proteins", buckets, None, indexes))
    slack_accepts(answer)
    text = texts(answer)
    assert "40 buckets" in text and "Indexes: 36 IVF_PQ cosine, 4 no index" in text
    assert "… and" in text


def test_a_revoke_reason_full_of_quotes_still_fits_its_button():
    subscription = Subscription(
        "sub1", "req1", "APPROVED", "customer_pii", "lst1", "prj1", "Marketing", datetime(2026, 11, 1, tzinfo=UTC),
        "U0ALICE", "GRANTED",
    )  # fmt: skip
    ref = ids.AccessRef(domain="dzd_x", subscription="sub1", owner="prj1")
    shown = subscription_blocks.revoke_confirm(subscription, ref, '"\n' * 750)  # escaped, twice as long as typed
    slack_accepts(shown)
    [revoke] = [
        e for b in shown if b["type"] == "actions" for e in b["elements"] if e["action_id"] == ids.CONFIRM_REVOKE
    ]
    carried = ids.RevokeRef.model_validate_json(revoke["value"])
    assert len(revoke["value"]) <= 2000 and carried.reason and set(carried.reason) <= {'"', "\n"}
