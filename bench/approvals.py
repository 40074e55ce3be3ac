"""Subscription approvals against the sandbox: click-to-card-updated latency, and a 2,000-request queue.

Prints JSON with two figures, each beside a baseline measured in the same run:
- approve: from a signed Approve modal submission to the card's chat.update reaching Slack, p50/p99 over
  ROUNDS requests; the baseline is the same DataZone and Slack calls made back to back by a bare client
  (what the decision costs without the bot: load, profile, accept, card update, requester DM).
- pending: `/subscriptions pending` for an admin with PENDING requests in the domain: wall time from the
  command to the reply, and the number of DataZone calls; the baseline is listing them all with one
  paginated boto3 loop.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.inbox.envelope import InboundEvent  # noqa: E402
from bot.inbox.service import build_inbox  # noqa: E402
from handlers.subscriptions import ids  # noqa: E402
from opsbot.capabilities import CAPABILITIES  # noqa: E402
from sandbox.runtime import ADMIN, APPROVER, SIGNING_SECRET, start_sandbox  # noqa: E402
from sandbox.slack_requests import SlackRequests  # noqa: E402
from sandbox.world import DOMAIN_ID  # noqa: E402
from tests.harness import BoltDriver  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values_ms), 1),
        "p99_ms": round(_percentile(values_ms, 0.99), 1),
        "n": len(values_ms),
    }


def _new_requests(box, count: int, asset: str = "customer_pii") -> list[str]:
    # Seeded straight into the emulator: setting up thousands over HTTP would only time the setup.
    handlers, world = box.datazone_service.handlers, box.world
    with box.datazone_service.lock:
        # Seeded calls bypass SigV4, so the emulator would credit them to whoever called last (an approver's
        # assumed-role session, after the bot's decisions): make them the sandbox's own requests.
        handlers.state.caller = handlers.state.default_caller
        return [
            handlers.create_subscription_request(
                domainIdentifier=DOMAIN_ID,
                requestReason="bench",
                subscribedPrincipals=[{"project": {"identifier": world.consumer_project}}],
                subscribedListings=[{"identifier": world.listings[asset]}],
            )["id"]
            for _ in range(count)
        ]


def bench_approve(box, deps, driver, rounds: int) -> dict[str, object]:
    """Modal submission to chat.update of the card, through the real app; beside the same calls made bare."""
    inbox, slack = build_inbox(deps), box.slack
    samples = []
    for request_id in _new_requests(box, rounds):
        inbox.handle(_created(request_id))  # the card is posted, as after intake
        ref = ids.RequestRef(domain=DOMAIN_ID, request=request_id, owner=box.world.producer_project)
        started = time.perf_counter()
        driver.submit(
            ids.APPROVE_MODAL,
            user=APPROVER,
            values={ids.COMMENT_BLOCK: {ids.COMMENT_ACTION: {"type": "plain_text_input", "value": ""}}},
            private_metadata=ref.model_dump_json(),
        )
        slack.wait_for("chat.update", lambda c, r=request_id: r in json.dumps(c.body), timeout=30)
        samples.append((time.perf_counter() - started) * 1000)
    dz, web = box.client("datazone"), WebClient(token=box.slack.bot_token, base_url=box.slack.api_url)
    baseline = []
    for request_id in _new_requests(box, rounds):
        # The card the baseline decides, posted before the clock starts (Slack updates only messages it has).
        card = web.chat_postMessage(channel="C0SALESDATA", text=f"request {request_id}")["ts"]
        started = time.perf_counter()
        detail = dz.get_subscription_request_details(domainIdentifier=DOMAIN_ID, identifier=request_id)
        with contextlib.suppress(dz.exceptions.ResourceNotFoundException):
            dz.get_user_profile(domainIdentifier=DOMAIN_ID, userIdentifier=detail["createdBy"])
        dz.accept_subscription_request(domainIdentifier=DOMAIN_ID, identifier=request_id, decisionComment="bench")
        web.chat_update(channel="C0SALESDATA", ts=card, text="decided", blocks=[])
        web.chat_postMessage(channel="C0SALESDATA", thread_ts=card, text="decided")
        baseline.append((time.perf_counter() - started) * 1000)
    return {"bot": _summary(samples), "baseline_same_calls_bare": _summary(baseline)}


def _created(request_id: str) -> InboundEvent:
    return InboundEvent(
        event_id=str(uuid.uuid4()),
        source="aws.datazone",
        detail_type="Subscription Request Created",
        detail={"metadata": {"id": request_id, "domain": DOMAIN_ID}},
        via="eventbridge",
    )


def bench_pending(box, driver, pending: int) -> dict[str, object]:
    """An admin's queue with `pending` requests: wall time and DataZone calls, beside a bare paginated list."""
    open_now = len(box.client("datazone").list_subscription_requests(domainIdentifier=DOMAIN_ID)["items"])
    _new_requests(box, max(0, pending - open_now))
    calls = box.datazone_service.calls
    before = len(calls)
    url = box.slack.response_url("bench")
    started = time.perf_counter()
    driver.command("/subscriptions", "pending", user=ADMIN, response_url=url)
    answer = box.slack.wait_for("response_url", lambda c: "pending requests" in json.dumps(c.body), timeout=120)
    wall_ms = (time.perf_counter() - started) * 1000
    made = calls[before:]
    dz = box.client("datazone")
    started = time.perf_counter()
    listed, pages = 0, 0
    for page in dz.get_paginator("list_subscription_requests").paginate(
        domainIdentifier=DOMAIN_ID, status="PENDING", PaginationConfig={"PageSize": 50}
    ):
        listed += len(page["items"])
        pages += 1
    baseline_ms = (time.perf_counter() - started) * 1000
    return {
        "pending_requests": listed,
        "bot": {"wall_ms": round(wall_ms, 1), "datazone_calls": len(made), "operations": sorted(set(made))},
        "baseline_bare_list": {"wall_ms": round(baseline_ms, 1), "datazone_calls": pages},
        "blocks_in_reply": len(answer.body.get("blocks") or []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--pending", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        box = start_sandbox(Path(workdir))
        try:
            settings, deps = box.bot_deps(Path(workdir))
            driver = BoltDriver(build_app(settings, deps, CAPABILITIES), SlackRequests(SIGNING_SECRET))
            result = {
                "approve_click_to_card_updated": bench_approve(box, deps, driver, args.rounds),
                "subscriptions_pending": bench_pending(box, driver, args.pending),
            }
            deps.close()
        finally:
            box.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
