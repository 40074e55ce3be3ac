"""/audit and `opsbot audit`: admins read who did what, refusals included, filtered and paged."""

import contextlib
import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.audit import AuditEntry
from bot.audit_query import AuditFilter, parse_filters, read_page
from bot.errors import BadInput
from tests.conftest import ADMIN, ALICE, MALLORY
from tests.harness import eventually, opsbot_env


def _ephemerals(fake_slack):
    return [c.body for c in fake_slack.calls_to("response_url")]


def _text(body):
    return "\n".join(b["text"]["text"] for b in body.get("blocks", []) if b.get("type") == "section")


def _seed(deps, count, **fields):
    for n in range(count):
        deps.audit.record(
            actor=fields.get("actor", ALICE),
            action=fields.get("action", "subscriptions.approve"),
            target=f"req-{n:03d}",
            result=fields.get("result", "ok"),
        )


def test_a_refusal_is_in_the_log_and_an_admin_sees_it(slack, sqlite_deps, fake_slack):
    slack.command("/backup", "run", user=MALLORY)  # refused: only admins run backups
    # Some capabilities write a refusal's reason as the detail itself rather than as `detail.reason`.
    sqlite_deps.audit.record(actor=ALICE, action="subscriptions.decide", target="r", result="denied", detail="self")
    slack.command("/audit", "result denied", user=ADMIN)
    eventually(lambda: _ephemerals(fake_slack))
    shown = _text(_ephemerals(fake_slack)[-1])
    assert "<@U0MALLORY> */backup run*" in shown and "denied: Only opsbot admins can do this" in shown
    assert "<@U0ALICE> *subscriptions.decide* `r` denied: self" in shown
    assert "entries 1\u20132 of 2, page 1 of 1" in shown


def test_only_admins_read_the_log(slack, sqlite_deps, fake_slack):
    response = slack.command("/audit", "", user=ALICE)
    assert "Only opsbot admins" in json.loads(response.body)["text"]
    assert _ephemerals(fake_slack) == []


def _buttons(body):
    return {e["text"]["text"]: e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]}


def _targets(body):
    return [line.split("`")[-2] for line in _text(body).splitlines() if line.startswith("`20")]


def test_every_entry_is_reachable_by_paging(slack, sqlite_deps, fake_slack):
    _seed(sqlite_deps, 45)
    slack.command("/audit", "capability subscriptions", user=ADMIN)
    seen: list[str] = []
    for page in range(3):
        eventually(lambda page=page: len(_ephemerals(fake_slack)) > page)
        body = _ephemerals(fake_slack)[page]
        assert f"page {page + 1} of 3" in _text(body)
        seen += _targets(body)
        buttons = _buttons(body)
        assert ("Previous page" in buttons) == (page > 0)
        if page < 2:
            assert page > 0 or body["replace_original"] is False
            slack.click(buttons["Next page"]["action_id"], user=ADMIN, value=buttons["Next page"]["value"])
        else:
            assert "Next page" not in buttons and body["replace_original"] is True
    assert sorted(seen) == [f"req-{n:03d}" for n in range(45)]


def test_a_page_can_be_asked_for_by_number(slack, sqlite_deps, fake_slack):
    _seed(sqlite_deps, 45)
    slack.command("/audit", "page=3 capability subscriptions", user=ADMIN)
    eventually(lambda: _ephemerals(fake_slack))
    body = _ephemerals(fake_slack)[0]
    assert "entries 41\u201345 of 45, page 3 of 3" in _text(body)
    assert sorted(_targets(body)) == [f"req-{n:03d}" for n in range(5)]  # newest first: the oldest are last
    slack.command("/audit", "capability subscriptions page=4", user=ADMIN)
    eventually(lambda: len(_ephemerals(fake_slack)) > 1)
    answer = _ephemerals(fake_slack)[1]["text"]
    assert "There is no page 4: there are 45 matching entries on 3 pages" in answer
    assert "`/audit capability subscriptions page=3` shows the last" in answer


def test_a_page_button_is_for_admins_only(slack, sqlite_deps, fake_slack):
    _seed(sqlite_deps, 25)
    slack.command("/audit", "", user=ADMIN)
    eventually(lambda: _ephemerals(fake_slack))
    button = _buttons(_ephemerals(fake_slack)[0])["Next page"]
    slack.click(button["action_id"], user=MALLORY, value=button["value"])
    eventually(lambda: sqlite_deps.audit.recent(action=button["action_id"]))
    assert sqlite_deps.audit.recent(action=button["action_id"])[0].result == "denied"
    eventually(lambda: len(_ephemerals(fake_slack)) == 2)
    refusal = _ephemerals(fake_slack)[1]
    # Told why, beside the page; the page itself is neither replaced nor turned.
    assert "Only opsbot admins" in refusal["text"] and refusal["replace_original"] is False
    assert "blocks" not in refusal


def test_filters_narrow_by_user_capability_and_time(sqlite_deps):
    _seed(sqlite_deps, 2, actor=ALICE)
    _seed(sqlite_deps, 3, actor=ADMIN, action="backups.run")
    with sqlite_deps.db.session() as session:
        old = session.get(AuditEntry, 1)
        old.at = datetime.now(UTC) - timedelta(days=10)
    assert read_page(sqlite_deps.db, parse_filters(f"user <@{ALICE}|alice>")).total == 2
    assert read_page(sqlite_deps.db, parse_filters("capability backups")).total == 3
    assert read_page(sqlite_deps.db, parse_filters("since 7d")).total == 4
    assert read_page(sqlite_deps.db, parse_filters(f"user {ADMIN} capability subscriptions")).total == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("user", "Each filter is a word and a value"),
        ("user maria", "is not a Slack user"),
        ("since yesterday", "is not a date"),
        ("result maybe", "is not a result"),
        ("colour red", "Unknown filter"),
        ("since 1d since 2d", "given twice"),
    ],
)
def test_bad_filters_say_what_was_wrong(text, problem):
    with pytest.raises(BadInput, match=problem):
        parse_filters(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_no_text_crashes_the_filter_parser(text):
    with contextlib.suppress(BadInput):  # a clear refusal is fine; anything else is a bug
        assert isinstance(parse_filters(text), AuditFilter)


def test_the_command_line_reads_the_same_log_as_csv(fake_slack, sqlite_deps, tmp_path):
    _seed(sqlite_deps, 3)
    # Capabilities write a refusal's reason as `detail.reason` or, some of them, as the detail itself.
    sqlite_deps.audit.record(
        actor=ALICE, action="subscriptions.decide", target="req-9", result="denied", detail="not an approver"
    )
    sqlite_deps.audit.record(
        actor=MALLORY,
        action="/backup run",
        target="",
        result="denied",
        detail={"reason": "Only opsbot admins can do this."},
    )
    env = opsbot_env(fake_slack, tmp_path, OPSBOT_DATABASE_URL=sqlite_deps.settings.database_url)
    result = subprocess.run(
        [sys.executable, "-m", "opsbot", "audit", "--result", "denied", "--csv"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["actor"], r["action"], r["reason"]) for r in rows] == [
        (MALLORY, "/backup run", "Only opsbot admins can do this."),
        (ALICE, "subscriptions.decide", "not an approver"),
    ]
    assert rows[0]["at"].endswith(" UTC")
    table = subprocess.run(
        [sys.executable, "-m", "opsbot", "audit", "--limit", "2"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert table.stdout.splitlines()[-1] == "2 of 5 entries; --limit 5 shows all"
