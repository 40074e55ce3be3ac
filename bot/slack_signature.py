"""Slack request signatures, checked on the raw bytes before anything is parsed, and the mark that says so."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest

log = structlog.get_logger(__name__)

# slack_sdk's SignatureVerifier refuses timestamps more than five minutes from now, as Slack's guide asks
# (https://docs.slack.dev/authentication/verifying-requests-from-slack/).
MAX_SKEW_SECONDS = 300
# Unix seconds in decimal digits. Anything else (empty, negative, "1e9", a list, 5,000 digits) is a failed
# check here, where slack_sdk's int() would raise and Bolt would hand the unverified body to the error handler.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"


class SlackSignature:
    """Checks `X-Slack-Signature` over the exact bytes Slack sent, with slack_sdk's semantics but no exceptions."""

    def __init__(self, signing_secret: str | None, clock: Callable[[], float] = time.time) -> None:
        self._secret = (signing_secret or "").encode()
        self._clock = clock

    def problem(self, raw: bytes, timestamps: Sequence[str], signatures: Sequence[str]) -> str | None:
        """Why the request is not provably Slack's, or None if it is; each header must appear exactly once."""
        if not self._secret:
            return "no signing secret is configured"
        if len(timestamps) != 1 or len(signatures) != 1:
            return "timestamp and signature headers must each appear once"
        timestamp, signature = timestamps[0], signatures[0]
        if not _TIMESTAMP.fullmatch(timestamp):
            return "malformed timestamp"
        if abs(self._clock() - int(timestamp)) > MAX_SKEW_SECONDS:
            return "stale timestamp"
        if not _SIGNATURE.fullmatch(signature):
            return "malformed signature"
        expected = "v0=" + hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "signature does not match"
        return None


class _Verified:
    """How a request was proven to be Slack's; only the two instances below exist."""

    def __init__(self, how: str) -> None:
        self.how = how

    def __repr__(self) -> str:
        return f"<verified by {self.how}>"


# Nothing parsed from a request body can be one of these objects, so a body cannot claim to be verified.
_BY_SIGNATURE = _Verified("signature")
_BY_SOCKET_MODE = _Verified("socket mode connection")
_CONTEXT_KEY = "opsbot_verified"


def is_verified(context: Any) -> bool:
    """True if our own check marked this request's context as coming from Slack."""
    mark = context.get(_CONTEXT_KEY) if hasattr(context, "get") else None
    return mark is _BY_SIGNATURE or mark is _BY_SOCKET_MODE


class VerifiedRequests(Middleware):
    """Bolt middleware: refuses (401) any HTTP request whose signature fails our check, and marks the rest.

    Socket Mode requests arrive over the connection the app token opened, unsigned by design; Bolt sets
    their mode in-process, so a body cannot pose as one.
    """

    def __init__(self, signature: SlackSignature) -> None:
        self._signature = signature

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        """Check, mark, continue; or refuse."""
        if req.mode == "socket_mode":
            req.context[_CONTEXT_KEY] = _BY_SOCKET_MODE
            return next()
        headers = req.headers
        problem = self._signature.problem(
            req.raw_body.encode("utf-8"), headers.get(TIMESTAMP_HEADER, []), headers.get(SIGNATURE_HEADER, [])
        )
        if problem is not None:
            log.warning("unverified_slack_request", problem=problem)
            return BoltResponse(status=401, body={"error": "invalid request"})
        req.context[_CONTEXT_KEY] = _BY_SIGNATURE
        return next()
