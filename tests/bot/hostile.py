"""Hostile requests for the tests: ones Slack did not sign (or signed long ago), each carrying a response_url, a
channel and a user; and a way to wait until every reply they could have caused was sent."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.deps import Deps
from tests.conftest import ADMIN
from tests.harness import SIGNING_SECRET

FORM = "application/x-www-form-urlencoded"
_signer = SignatureVerifier(SIGNING_SECRET)


def _body(response_url: str) -> str:
    """A /backup run from an admin: state-changing, with everywhere a reply could go."""
    return urlencode(
        {
            "command": "/backup",
            "text": "run",
            "user_id": ADMIN,
            "channel_id": "C0GENERAL",
            "team_id": "T0OPSBOT",
            "response_url": response_url,
            "trigger_id": "1.trigger",
        }
    )


def signed_with(body: str | bytes, timestamp: str) -> dict[str, str]:
    """Headers whose signature is correct for `timestamp`, whatever that timestamp says."""
    return {
        "content-type": FORM,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": _signer.generate_signature(timestamp=timestamp, body=body),
    }


def signed_bytes(body: bytes, content_type: str) -> dict[str, str]:
    """Correct headers for a body that need not be text (Slack signs the bytes it sends)."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": "v0=" + digest.hexdigest(),
    }


def unverified_requests(response_url: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Name -> (body, headers) for every way a request can fail verification."""
    body = _body(response_url)
    now = str(int(time.time()))
    good = signed_with(body, now)
    return {
        "unsigned": (body, {"content-type": FORM}),
        "forged-signature": (body, {**good, "x-slack-signature": "v0=" + "0" * 64}),
        "signature-of-another-body": (body.replace("run", "help"), good),
        "no-signature": (body, {k: v for k, v in good.items() if k != "x-slack-signature"}),
        "no-timestamp": (body, {k: v for k, v in good.items() if k != "x-slack-request-timestamp"}),
        "stale": (body, signed_with(body, str(int(time.time()) - 6 * 60))),
        "from-the-future": (body, signed_with(body, str(int(time.time()) + 6 * 60))),
        "non-numeric-timestamp": (body, signed_with(body, "abc")),
        "empty-timestamp": (body, signed_with(body, "")),
        "negative-timestamp": (body, signed_with(body, "-1")),
        "huge-timestamp": (body, signed_with(body, "9" * 5000)),
        "exponent-timestamp": (body, signed_with(body, "1.7e9")),
        "list-like-timestamp": (body, signed_with(body, f"[{now}]")),
        "two-timestamps-in-one": (body, signed_with(body, f"{now},{now}")),
        "signature-without-version": (body, {**good, "x-slack-signature": good["x-slack-signature"][3:]}),
    }


def drain(deps: Deps) -> None:
    """Return once every listener job queued so far has finished (replies go out from that pool).

    One barrier task per worker can only all run together once each worker is done with what came before.
    """
    workers = deps.settings.listener_workers
    gate = threading.Barrier(workers + 1)
    for _ in range(workers):
        deps.executor.submit(gate.wait, 10)
    gate.wait(10)
