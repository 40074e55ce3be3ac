"""Every message builder reads right with 0, 1 and 2 of whatever it counts: plurals agree, spans are in words,
times carry their zone, and only Slack users are mentioned.

A builder is one row of BUILDERS: a name and a function from a count to what the bot would send (blocks, a view or
text). Each row is rendered for the counts it lists and checked against the rules below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import wording
from bot.audit import AuditEntry
from bot.audit_query import AuditFilter, AuditPage
from bot.paging import Window
from handlers.audit import blocks as audit_blocks
from handlers.backups import blocks as backup_blocks
from handlers.backups.catalog import KINDS
from handlers.backups.restore import ApplyResult, progress_line
from handlers.backups.status import BackupStatus, Drift, DriftItem
from handlers.backups.store import BackupRun, RestorePlan
from handlers.backups.table import ReplicaHealth, TableHealth
from handlers.failover import blocks as failover_blocks
from handlers.failover.models import ACKNOWLEDGED, OPEN, RESOLVED, Alert
from handlers.proteins import blocks as protein_blocks
from handlers.proteins.indexing import IndexParams
from handlers.proteins.query import ProteinQuery
from handlers.proteins.search import Hit, SearchParams
from handlers.proteins.service import DatabaseInfo, SearchResult
from handlers.publishing import blocks as publishing_blocks
from handlers.publishing.catalog import Preview
from handlers.publishing.runs import CREATED, Activity, RunView
from handlers.subscriptions import blocks as subscription_blocks
from handlers.subscriptions import ids as subscription_ids
from handlers.subscriptions.decisions import winner_of
from handlers.subscriptions.grants import Listing, Subscription
from handlers.subscriptions.policy import Verdict
from handlers.subscriptions.queue import Waiting
from handlers.subscriptions.service import PendingSummary, RequestView
from handlers.subscriptions.store import RequestCard, TimedAccess

NOW = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
COUNTED = "|".join(
    (
        *("times", "types", "glossaries", "buckets", "requests", "alerts", "subscriptions", "assets", "terms"),
        *("projects", "items", "runs", "hours", "minutes", "days", "entities", "errors", "calls", "proteins"),
        *("files", "vectors", "queries", "entries", "replicas", "users", "partitions", "sub-vectors", "bits"),
        "nearest proteins",
    )
)

# What no message may say.
RULES: dict[str, re.Pattern[str]] = {
    "a count of one with a plural noun": re.compile(rf"(?<![\d.,])1 (?:[a-z]+ )?(?:{COUNTED})\b"),
    "zero minutes": re.compile(r"(?<![\d.])0 min\b"),
    "a possessive after a parenthesis": re.compile(r"\)'s\b"),
    "a raw ISO datetime": re.compile(r"\dT\d\d:\d\d(:\d\d)?"),
    "a zero-second duration": re.compile(r"(?<![\d.])0\.0 s\b"),
    "a mention of something that is not a Slack user": re.compile(r"<@(?![UW][A-Z0-9]{2,}>)[^>]*>"),
    "a doubled word": re.compile(r"\b(grant granted|(\w+) \2)\b"),
}


def texts(message: Any) -> str:
    """Every string a person could read in blocks, a view or plain text, one per line."""
    if isinstance(message, str):
        return message
    found: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, str) and key in ("text", "title"):
            found.append(node)

    walk(message)
    return "\n".join(found)


# -- the things messages are about --------------------------------------------------------------------------


def _view(status: str = "PENDING", requester: str = "maria (MarketingAnalyst) for project Marketing analytics"):
    return RequestView(
        domain_id="dzd_x",
        request_id="req1",
        status=status,
        reason="Campaign analysis",
        created_at=NOW - timedelta(seconds=20),
        asset_id="ast1",
        asset_name="customer_pii",
        listing_id="lst1",
        owner_project_id="prj1",
        owner_project_name="Sales producer",
        requester=requester,
        requester_slack="U0MARIA",
        glossary_terms=("Customer",),
        verdict=Verdict("review", "confidential", 0.88, "confidential data"),
        reviewer=None,
        decision_comment=None,
    )


def _alert(n: int, state: str = OPEN, **extra: Any) -> Alert:
    values: dict[str, Any] = {
        "id": 7,
        "key": "123456789012/eu-west-1/cluster:j-1",
        "cluster_id": "j-1",
        "cluster_name": "sales-analytics-ha",
        "title": "alarm",
        "state": state,
        "severity": "primary_lost",
        "reporters": {},
        "facts": {},
        "primaries": [],
        "opened_at": NOW - timedelta(seconds=30),
        "updated_at": NOW,
        "escalate_at": NOW + timedelta(minutes=15),
        "repeats": n,
        "flaps": n,
    }
    if state == ACKNOWLEDGED:
        values |= {"acknowledged_by": "U0ALICE", "acknowledged_at": NOW}
    if state == RESOLVED:
        values |= {"resolved_at": NOW, "escalate_at": None}
    return Alert(**{**values, **extra})


def _run(n: int, seconds: float = 0.02) -> BackupRun:
    counts = {kind: {"read": n, "written": n, "tombstoned": n, "errors": 0} for kind in KINDS}
    return BackupRun(
        run_id="20261130T140500-abcdef",
        domain_id="dzd_x",
        mode="full",
        trigger="schedule",
        status="succeeded",
        started_at=NOW - timedelta(seconds=seconds),
        ended_at=NOW,
        counts=json.dumps(counts),
        write_calls=n,
        items_written=n,
        errors=json.dumps([{"kind": "ASSET", "id": f"a{i}", "error": "boom"} for i in range(n)]),
    )


def _status(n: int) -> BackupStatus:
    replicas = [ReplicaHealth(f"eu-central-{i + 1}", "ACTIVE", items=n, latest_run="r") for i in range(n)]
    return BackupStatus(
        domain_id="dzd_x",
        table="opsbot-catalog-backup",
        rpo=timedelta(hours=4),
        last=_run(n),
        running=None,
        next_run=NOW + timedelta(hours=1),
        failures=[_run(n)],
        health=TableHealth("eu-west-1", "ACTIVE", n, None, replicas),
        now=NOW + timedelta(seconds=10),
    )


def _plan(n: int) -> RestorePlan:
    summary = {kind: {"create": n, "update": n, "unchanged": n, "manual": n} for kind in KINDS}
    return RestorePlan(
        plan_id="plan-0123456789",
        source_domain_id="dzd_x",
        target_domain_id="dzd_y",
        created_by="U0ADA",
        created_at=NOW,
        status="planned",
        steps="[]",
        summary=json.dumps(summary),
    )


def _preview(listing: str | None) -> Preview:
    return Preview(
        domain_id="dzd_x",
        asset_id="ast1",
        name="store_locations",
        type_name="GlueTable",
        owner_project_id="prj1",
        owner_project_name="Sales producer",
        forms=("BusinessMetadata",),
        missing=(),
        glossary_terms=("Revenue",),
        quality=0.99,
        listing_status=listing,
        listing_id="lst1" if listing else None,
    )


def _search(n: int) -> SearchResult:
    hits = [Hit(f"FAM001_m{i:02d}", 0.01 * i, "bucket_0000", identity=99.0) for i in range(n)]
    return SearchResult(ProteinQuery(kind="id", value="FAM001_root"), SearchParams(k=max(n, 1)), hits, n, 0.05)


def _proteins(n: int) -> DatabaseInfo:
    params = IndexParams("IVF_PQ", "cosine", n, n, 8, n, 1.0, "2026-11-30")
    buckets = {f"bucket_{i:04d}": n for i in range(n)}
    return DatabaseInfo("s3://proteins", buckets, None, {b: params for b in buckets})


def _subscriptions(n: int) -> list[Subscription]:
    return [
        Subscription(
            f"sub{i}",
            f"req{i}",
            "APPROVED",
            "customer_pii",
            "lst1",
            "prj1",
            "project Marketing analytics",
            NOW,
            "d3adb33f",
            status,
        )
        for i, status in zip(range(n), ("granted", "grant pending"), strict=False)
    ]


def _timed(days: int) -> TimedAccess:
    return TimedAccess(
        subscription_id="sub1",
        domain_id="dzd_x",
        request_id="req1",
        asset_name="customer_pii",
        owner_project_id="prj1",
        requester="maria (MarketingAnalyst) for project Marketing analytics",
        requester_slack="U0MARIA",
        days=days,
        expires_at=NOW + timedelta(days=days),
        status="active",
    )


def _entries(n: int, actor: str = "inbox") -> AuditPage:
    entries = [
        AuditEntry(id=i, at=NOW, actor=actor, action="publishing.register", target=f"e{i}", result="ok")
        for i in range(n)
    ]
    return AuditPage(entries=entries, total=n, offset=0)


def _card(status: str, decided_by: str | None) -> RequestCard:
    return RequestCard(request_id="req1", domain_id="dzd_x", status=status, decided_by=decided_by, decided_at=NOW)


ACCESS_REF = subscription_ids.AccessRef(domain="dzd_x", subscription="sub1", owner="prj1")
PENDING_SUMMARIES = [
    PendingSummary(f"req{i}", "customer_pii", "Sales producer", "maria", NOW, "prj1") for i in range(2)
]
# A single step's line, and a chain's at its second step as an admin sees it (whose step it is).
QUEUE_LINES = [
    Waiting(PENDING_SUMMARIES[0]),
    Waiting(PENDING_SUMMARIES[1], "step 2 of 2 (data protection)", "<!subteam^S0DATAPROTECT>"),
]

# -- the builders: a name, what each renders for a count, and the counts that make sense -----------------------

Builder = Callable[[int], Any]
BUILDERS: list[tuple[str, Builder, tuple[int, ...]]] = [
    # failover
    ("failover card, open", lambda n: failover_blocks.card(_alert(n), None, None, NOW), (0, 1, 2)),
    ("failover card, acknowledged", lambda n: failover_blocks.card(_alert(n, ACKNOWLEDGED), None, None, NOW), (1, 2)),
    ("failover card, resolved", lambda n: failover_blocks.card(_alert(n, RESOLVED), None, None, NOW), (1, 2)),
    ("failover digest", lambda n: failover_blocks.digest([_alert(1)] * n, {}, NOW), (1, 2)),
    (
        "failover alert list",
        lambda n: failover_blocks.alert_list([_alert(n)] * n, {}, NOW, Window.at(0, 30, n)),
        (0, 1, 2),
    ),
    # subscriptions
    ("subscription card", lambda n: subscription_blocks.card(_view(), NOW), (1,)),
    (
        "decided card",
        lambda n: subscription_blocks.decided_card(_view("ACCEPTED"), "accepted", "<@U0ALICE>", None, NOW),
        (1,),
    ),
    ("auto-approval notice", lambda n: subscription_blocks.notice(_view(), "auto_approved"), (1,)),
    (
        "pending queue",
        lambda n: subscription_blocks.queue(QUEUE_LINES[:n], Window.at(0, 40, n), "waiting for you", NOW),
        (0, 1, 2),
    ),
    ("home queue", lambda n: subscription_blocks.home(QUEUE_LINES[:n], 10, NOW), (0, 1, 2)),
    ("expiry reminder", lambda n: subscription_blocks.expiry_reminder(_timed(n), ACCESS_REF), (1, 2)),
    ("renewal card", lambda n: subscription_blocks.renewal_card(_timed(n), ACCESS_REF, "U0MARIA"), (1, 2)),
    ("revoke confirm", lambda n: subscription_blocks.revoke_confirm(_subscriptions(1)[0], ACCESS_REF, "done"), (1,)),
    (
        "access list",
        lambda n: subscription_blocks.access_list(
            Listing("lst1", "customer_pii", "prj1"), _subscriptions(n), Window.at(0, 40, n), "customer_pii", {}, {}
        ),
        (0, 1, 2),
    ),
    ("race lost to a Slack user", lambda n: winner_of(_card("accepted", "U0ALICE")), (1,)),
    ("race lost to the policy", lambda n: winner_of(_card("auto_approved", "opsbot-policy")), (1,)),
    (
        "race lost to DataZone",
        lambda n: winner_of(_card("decided_elsewhere", "datazone"), "rejected in DataZone by <@U0ALICE>"),
        (1,),
    ),
    # backups
    ("backup run", lambda n: backup_blocks.run_text(_run(n)), (0, 1, 2)),
    ("backup history", lambda n: backup_blocks.history_blocks([_run(n)] * max(n, 1)), (0, 1, 2)),
    ("backup status", lambda n: backup_blocks.status_blocks(_status(n)), (1, 2)),
    ("backup home", lambda n: backup_blocks.home_blocks(_status(n)), (1, 2)),
    ("backup verify, clean", lambda n: backup_blocks.drift_blocks(Drift(checked=n, unreadable=n)), (1, 2)),
    (
        "backup verify, drift",
        lambda n: backup_blocks.drift_blocks(Drift(missing=[DriftItem("ASSET", "a", "a")] * n, checked=n)),
        (1, 2),
    ),
    ("restore plan", lambda n: backup_blocks.plan_blocks(_plan(n), confirm=True), (0, 1, 2)),
    (
        "restore applied",
        lambda n: backup_blocks.applied_text("plan-0123456789", "dzd_y", ApplyResult(n, n, n, [], [0.05, 1.4, 125][n])),
        (0, 1, 2),
    ),
    ("restore progress", lambda n: progress_line("GLOSSARY", ApplyResult(n, n), (0, 0, 0)), (0, 1, 2)),
    ("RPO alert", lambda n: backup_blocks.alert_rpo(_status(n)), (1, 2)),
    # publishing
    ("publish preview, not listed", lambda n: publishing_blocks.preview_card(_preview(None), publish=True), (1,)),
    ("publish preview, listed", lambda n: publishing_blocks.preview_card(_preview("ACTIVE"), publish=True), (1,)),
    ("publish preview, listing", lambda n: publishing_blocks.preview_card(_preview("CREATING"), publish=True), (1,)),
    (
        "registration card from the queue",
        lambda n: publishing_blocks.registration_card("Glue sales", "all", "inbox"),
        (1,),
    ),
    (
        "run summary",
        lambda n: publishing_blocks.run_summary(
            RunView(
                "r1",
                "ds1",
                "src",
                "SUCCESS",
                {"added": n},
                None,
                tuple(Activity("db", f"t{i}", CREATED, f"a{i}", None) for i in range(n)),
            ),
            "dzd_x",
            True,
        ),
        (0, 1, 2),
    ),
    # proteins
    ("protein searching", lambda n: protein_blocks.searching("FAM001_root", n, n), (1, 2)),
    ("protein results", lambda n: protein_blocks.results(_search(n)), (1, 2)),
    ("protein info", lambda n: protein_blocks.info(_proteins(n)), (1, 2)),
    ("protein home", lambda n: protein_blocks.home(_proteins(n)), (1, 2)),
    # audit
    (
        "audit page",
        lambda n: audit_blocks.page(_entries(n).entries, Window.at(0, 20, n), AuditFilter(since=NOW)),
        (1, 2),
    ),
]


@pytest.mark.parametrize(
    ("builder", "n"),
    [pytest.param(build, n, id=f"{name}-{n}") for name, build, counts in BUILDERS for n in counts],
)
def test_the_message_reads_right(builder: Builder, n: int) -> None:
    text = texts(builder(n))
    assert text.strip()
    broken = {rule: pattern.search(text).group(0) for rule, pattern in RULES.items() if pattern.search(text)}
    assert not broken, f"{broken} in:\n{text}"


# -- what a rule cannot see: tenses and promises that no longer hold -------------------------------------------


def test_a_decided_card_says_how_long_the_request_waited_not_that_it_waits():
    text = texts(subscription_blocks.decided_card(_view("ACCEPTED"), "accepted", "<@U0ALICE>", None, NOW))
    assert "waited less than a minute" in text and "waiting" not in text
    assert "2026-11-30 14:05 UTC" in text


def test_only_an_open_unsilenced_alert_promises_an_escalation():
    assert "escalates at 14:20 UTC unless acknowledged" in texts(failover_blocks.card(_alert(0), None, None, NOW))
    for state in (ACKNOWLEDGED, RESOLVED):
        assert "escalates" not in texts(failover_blocks.card(_alert(0, state), None, None, NOW))
    silenced = failover_blocks.card(_alert(0), None, NOW + timedelta(hours=1), NOW)
    assert "escalates" not in texts(silenced) and "silenced until 15:05 UTC" in texts(silenced)


def test_counts_of_repeats_read_as_words():
    text = texts(failover_blocks.card(_alert(1), None, None, NOW))
    assert "repeated once" in text and "flapping: reopened once" in text
    assert "reopened 3 times" in texts(failover_blocks.card(_alert(3), None, None, NOW))


def test_a_listed_asset_is_offered_publish_again_and_one_being_listed_nothing():
    listed = publishing_blocks.preview_card(_preview("ACTIVE"), publish=True)
    assert "Already published" in texts(listed) and "Publish again" in texts(listed)
    assert "Confirm publish" not in texts(listed)
    creating = publishing_blocks.preview_card(_preview("CREATING"), publish=True)
    assert [e["text"]["text"] for b in creating if b["type"] == "actions" for e in b["elements"]] == ["Cancel"]
    assert "Confirm publish" in texts(publishing_blocks.preview_card(_preview(None), publish=True))


def test_restore_progress_counts_the_kind_apart_from_the_running_totals():
    result = ApplyResult(created=7, updated=3)
    line = progress_line("GLOSSARY", result, (5, 3, 0))
    assert line == "glossaries: done, 2 created, 0 updated (so far in all: 7 created, 3 updated)"


def test_someone_who_loses_a_race_hears_who_won_and_which_way():
    assert "<@U0ALICE> already approved this request (at 2026-11-30 14:05 UTC)" in winner_of(
        _card("accepted", "U0ALICE")
    )
    assert "opsbot's policy already denied this request" in winner_of(_card("denied", "opsbot-policy"))
    elsewhere = winner_of(_card("decided_elsewhere", "datazone"), "rejected in DataZone by <@U0ALICE>")
    assert "already rejected in DataZone by <@U0ALICE>" in elsewhere


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (0.04, "under a second"),
        (1.44, "1.4 s"),
        (42.7, "42 s"),
        (60, "1 min"),
        (125, "2 min 5 s"),
        (3 * 3600 + 60, "3 h 1 min"),
    ],
)
def test_measured_durations_read_as_people_say_them(span: float, expected: str):
    assert wording.duration(span) == expected


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=4), "4 h"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(days=1), "24 h"),
        (timedelta(days=2), "2 days"),
    ],
)
def test_ages_read_as_people_say_them(span: timedelta, expected: str):
    assert wording.age(span) == expected


def test_times_carry_their_zone_and_how_long_ago():
    naive = datetime(2026, 11, 30, 14, 5)
    assert wording.when(naive) == "2026-11-30 14:05 UTC"
    assert wording.when_ago(naive, NOW + timedelta(minutes=5)) == "2026-11-30 14:05 UTC (5 min ago)"
    assert wording.ago(NOW, NOW + timedelta(seconds=5)) == "just now"
    assert wording.count(1, "glossary", "glossaries") == "1 glossary" and wording.count(0, "bucket") == "0 buckets"
    assert wording.mention("U0ALICE", "x") == "<@U0ALICE>" and wording.mention("inbox", "the events queue") == (
        "the events queue"
    )
