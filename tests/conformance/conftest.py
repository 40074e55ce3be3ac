"""One sandbox for the corpus; per test, the real app served over HTTP with its inbox, SNS endpoint and drivers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from bot.deps import Deps
from bot.http import build_http_app
from bot.inbox.service import Inbox, build_inbox
from bot.inbox.sns import CertificateCache
from sandbox.runtime import SIGNING_SECRET, Sandbox, start_sandbox
from sandbox.slack_requests import SlackRequests
from sandbox.sns_signing import SnsSigner
from sandbox.world import DOMAIN_ID
from tests.harness import serve
from tests.sandbox_bot import built_app, single_step_policy


@pytest.fixture(scope="package")
def box(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sandbox = start_sandbox(tmp_path_factory.mktemp("conformance"))
    yield sandbox
    sandbox.stop()


@dataclass
class Reply:
    """What the HTTP surface answered."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Bot:
    """The app on the sandbox, reachable over HTTP at `url`, and what a test needs to look at it."""

    box: Sandbox
    deps: Deps
    app: Any
    inbox: Inbox
    url: str
    requests: SlackRequests
    signer: SnsSigner

    def post(self, path: str, body: str, headers: dict[str, str]) -> Reply:
        """One POST over real HTTP."""
        request = urllib.request.Request(self.url + path, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def slack(self, body: str, headers: dict[str, str]) -> Reply:
        """POST /slack/events."""
        return self.post("/slack/events", body, headers)

    def interactive(self, payload: dict[str, Any]) -> Reply:
        """A published interactive payload, signed, to POST /slack/events."""
        return self.slack(*self.requests.interactive(payload))

    def command(self, fields: dict[str, Any]) -> Reply:
        """Published slash command fields, form-encoded and signed, to POST /slack/events."""
        return self.slack(*self.requests.form({k: _form_value(v) for k, v in fields.items()}))

    def event(self, payload: dict[str, Any]) -> Reply:
        """A published Events API payload, signed, to POST /slack/events."""
        return self.slack(*self.requests.json(payload))

    def sns(self, message: dict[str, Any]) -> Reply:
        """An SNS HTTPS delivery to POST /aws/sns."""
        return self.post("/aws/sns", json.dumps(message), {"content-type": "text/plain; charset=UTF-8"})

    def datazone_request(self, asset: str = "customer_pii") -> str:
        """A new subscription request from the consumer project."""
        return self.box.client("datazone").create_subscription_request(
            domainIdentifier=DOMAIN_ID,
            requestReason="Campaign analysis",
            subscribedPrincipals=[{"project": {"identifier": self.box.world.consumer_project}}],
            subscribedListings=[{"identifier": self.box.world.listings[asset]}],
        )["id"]

    def request_details(self, request_id: str) -> dict[str, Any]:
        """The request as DataZone has it."""
        return self.box.client("datazone").get_subscription_request_details(
            domainIdentifier=DOMAIN_ID, identifier=request_id
        )

    def request_status(self, request_id: str) -> str:
        return str(self.request_details(request_id)["status"])


def _form_value(value: Any) -> str:
    # A JSON sample's booleans are what a form writes as text.
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@pytest.fixture
def bot(box: Sandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    # Published clicks decide a request in one step; test_chains drives the sandbox's two-step chain.
    monkeypatch.setenv("OPSBOT_CONFIG", str(single_step_policy(box, tmp_path)))
    _, deps, scheduler, app = built_app(tmp_path)
    inbox = build_inbox(deps)
    signer = SnsSigner()

    def certificate(url: str) -> bytes:
        if url != signer.cert_url:
            raise OSError(f"no certificate at {url}")
        return signer.pem

    box.slack.reset()
    requests = SlackRequests(SIGNING_SECRET, response_url=box.slack.response_url())
    with serve(build_http_app(deps, app, inbox, CertificateCache(certificate))) as url:
        yield Bot(box, deps, app, inbox, url, requests, signer)
    scheduler.shutdown(wait=False)
    deps.close()


def new_id() -> str:
    return str(uuid.uuid4())
