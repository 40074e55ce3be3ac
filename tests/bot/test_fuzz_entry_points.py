"""Fuzzing the two public HTTP entry points: whatever arrives, never a 5xx, never an outbound call unsigned.

Deterministic (derandomized, no example database), bounded examples, over real HTTP (uvicorn).
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.deps import build_deps
from bot.http import build_http_app
from bot.inbox.service import build_inbox
from bot.inbox.sns import CertificateCache
from bot.settings import load_settings
from opsbot.capabilities import CAPABILITIES
from sandbox.slack_requests import SlackRequests
from sandbox.sns_signing import SnsSigner
from tests.bot.hostile import drain, signed_bytes
from tests.conftest import POLICY, SIGNING_SECRET
from tests.harness import serve

TOPIC = "arn:aws:sns:eu-west-1:123456789012:opsbot-events"
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
nested = st.builds(
    lambda n, opener, closer: opener * n + closer * (n // 2),
    st.integers(1, 3000),
    st.sampled_from("[{"),
    st.sampled_from("]}"),
)
# What an HTTP header value can carry; anything else the server's HTTP parser refuses before the app sees it.
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)

slack_bodies = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["command", "text", "user_id", "response_url", "payload", "channel_id"]), st.text(max_size=40)
    ).map(lambda d: urlencode(d).encode()),
    json_values.map(lambda v: urlencode({"payload": json.dumps(v), "response_url": "http://127.0.0.1:9/r"}).encode()),
    nested.map(str.encode),
    nested.map(lambda s: ("payload=" + s).encode()),
)
timestamps = st.one_of(
    header_text,
    st.integers(-(10**20), 10**20).map(str),
    st.integers(-600, 600).map(lambda skew: str(int(time.time()) + skew)),
    st.sampled_from(["", "abc", "-1", "1e9", "9" * 5000, "[1700000000]", "+1700000000", "1700000000.5", "0x10"]),
)
signatures = st.one_of(
    header_text,
    st.binary(min_size=32, max_size=32).map(lambda b: "v0=" + b.hex()),
    st.just("v0="),
)
content_types = st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""])


@pytest.fixture(scope="module")
def entry_points(tmp_path_factory, fake_slack_server):
    """HTTP mode with the Slack route and the SNS route, sharing one fake Slack the fuzz watches."""
    tmp = tmp_path_factory.mktemp("fuzz")
    app_settings = load_settings(
        _env_file=None,
        slack_bot_token=fake_slack_server.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack_server.api_url,
        database_url=f"sqlite:///{tmp / 'opsbot.db'}",
        sns_topic_arns=TOPIC,
        listener_workers=4,
        # No background refresh of user groups within the module's run.
        group_cache_seconds=86400,
    )
    fake_slack_server.reset()
    fake_slack_server.workspace.usergroups = {"S0APPROVERS": ["U0BOB"]}
    deps = build_deps(app_settings, policy=POLICY)
    deps.db.migrate(CAPABILITIES)
    signer = SnsSigner()
    seen: dict[str, list] = {"fetched": [], "handled": []}
    deps.events.on("*", "*", seen["handled"].append)

    def fetch(url: str) -> bytes:
        seen["fetched"].append(url)
        if url != signer.cert_url:
            raise OSError(f"no certificate at {url}")
        return signer.pem

    app = build_http_app(deps, build_app(app_settings, deps, CAPABILITIES), build_inbox(deps), CertificateCache(fetch))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        fake_slack_server.reset()
        yield client, deps, fake_slack_server, signer, seen
    deps.close()


def _headers(content_type: str, timestamp: str | None, signature: str | None) -> dict[str, str]:
    headers = {"content-type": content_type} if content_type else {}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp
    if signature is not None:
        headers["x-slack-signature"] = signature
    return headers


@FUZZ
@given(
    body=slack_bodies,
    content_type=content_types,
    timestamp=st.none() | timestamps,
    signature=st.none() | signatures | st.just("valid-for-another-body"),
)
def test_unsigned_slack_requests_are_refused_with_no_outbound_call(
    entry_points, body, content_type, timestamp, signature
):
    client, deps, fake_slack, _, _ = entry_points
    if signature == "valid-for-another-body":
        signature = SlackRequests(SIGNING_SECRET).sign("another body")["x-slack-signature"]
    response = client.post("/slack/events", content=body, headers=_headers(content_type, timestamp, signature))
    assert response.status_code == 401, (response.status_code, response.text)
    drain(deps)
    assert fake_slack.calls == []


@FUZZ
@given(body=slack_bodies, content_type=content_types)
def test_signed_slack_requests_never_get_a_5xx(entry_points, body, content_type):
    client, _, _, _, _ = entry_points
    response = client.post("/slack/events", content=body, headers=signed_bytes(body, content_type))
    assert response.status_code < 500, (response.status_code, response.text)


sns_fields = st.sampled_from(
    [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "SubscribeURL",
        "UnsubscribeURL",
        "Token",
        "MessageAttributes",
    ]
)


def sns_messages(signer: SnsSigner):
    plausible = {
        "Type": st.sampled_from(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]) | json_values,
        "TopicArn": st.just(TOPIC) | json_values,
        "SignatureVersion": st.sampled_from(["1", "2"]) | json_values,
        "SigningCertURL": st.just(signer.cert_url) | json_values,
        "Signature": st.binary(max_size=256).map(lambda b: __import__("base64").b64encode(b).decode()) | json_values,
    }
    return st.fixed_dictionaries({}, optional={**plausible}).flatmap(
        lambda base: st.dictionaries(sns_fields, json_values, max_size=6).map(lambda extra: {**extra, **base})
    )


@FUZZ
@given(data=st.data())
def test_sns_endpoint_refuses_any_unsigned_shape_with_4xx(entry_points, data):
    client, _, _, signer, seen = entry_points
    body = data.draw(
        st.one_of(
            sns_messages(signer).map(lambda m: json.dumps(m).encode()),
            json_values.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=1000),
            nested.map(str.encode),
        )
    )
    response = client.post("/aws/sns", content=body, headers={"content-type": "text/plain; charset=UTF-8"})
    assert response.status_code in (400, 401), (response.status_code, response.text)
    assert seen["handled"] == []
    assert set(seen["fetched"]) <= {signer.cert_url}
