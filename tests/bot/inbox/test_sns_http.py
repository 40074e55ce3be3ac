"""POST /aws/sns over real HTTP: only SNS-signed messages from configured topics get through."""

import dataclasses
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from bot.http import build_http_app
from bot.inbox.service import build_inbox
from bot.inbox.sns import CertificateCache
from bot.inbox.sns_http import sns_endpoint
from bot.settings import load_settings
from sandbox.sns_signing import SnsSigner
from tests.harness import serve

TOPIC = "arn:aws:sns:eu-west-1:123456789012:opsbot-events"


@pytest.fixture
def signer():
    return SnsSigner()


@pytest.fixture
def endpoint(sqlite_deps, signer):
    """The HTTP app with the SNS route; certificates come from the signer instead of the network."""
    settings = load_settings(_env_file=None, slack_bot_token="xoxb-x", database_url="sqlite://", sns_topic_arns=TOPIC)
    deps = dataclasses.replace(sqlite_deps, settings=settings)
    got = []
    deps.events.on("aws.cloudwatch", "CloudWatch Alarm Notification", got.append)
    fetched = []

    def fetch(url):
        fetched.append(url)
        if url != signer.cert_url:
            raise OSError(f"no certificate at {url}")
        return signer.pem

    app = build_http_app(deps, None, build_inbox(deps), CertificateCache(fetch))
    with serve(app) as url:
        yield url, got, fetched


def _alarm():
    return json.dumps(
        {
            "AlarmName": "emr-j-1-primaries",
            "NewStateValue": "ALARM",
            "OldStateValue": "OK",
            "NewStateReason": "Threshold Crossed",
            "StateChangeTime": "2026-11-21T10:00:00.000+0000",
            "Region": "EU (Ireland)",
            "AWSAccountId": "123456789012",
            "Trigger": {
                "MetricName": "MultiMasterInstanceGroupNodesRunning",
                "Namespace": "AWS/ElasticMapReduce",
                "Dimensions": [{"name": "JobFlowId", "value": "j-1"}],
            },
        }
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_notification_is_handled_once(endpoint, signer, version):
    url, got, _ = endpoint
    message = signer.notification(TOPIC, _alarm(), subject="ALARM", version=version)
    for _ in range(2):
        response = httpx.post(f"{url}/aws/sns", json=message)
        assert response.status_code == 200
    assert len(got) == 1 and got[0].detail["AlarmName"] == "emr-j-1-primaries"
    assert httpx.post(f"{url}/aws/sns", json=message).json() == {"outcome": "duplicate"}


def test_tampered_message_is_refused(endpoint, signer):
    url, got, _ = endpoint
    message = signer.notification(TOPIC, _alarm())
    message["Message"] = message["Message"].replace("ALARM", "OK")
    assert httpx.post(f"{url}/aws/sns", json=message).status_code == 401
    assert got == []


def test_foreign_certificate_host_is_refused_without_fetching(endpoint, signer):
    url, got, fetched = endpoint
    evil = SnsSigner(cert_url="https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem")
    response = httpx.post(f"{url}/aws/sns", json=evil.notification(TOPIC, _alarm()))
    assert response.status_code == 401 and got == [] and fetched == []
    plain = SnsSigner(cert_url="http://sns.eu-west-1.amazonaws.com/cert.pem")
    assert httpx.post(f"{url}/aws/sns", json=plain.notification(TOPIC, _alarm())).status_code == 401


def test_unexpected_topic_is_refused(endpoint, signer):
    url, got, _ = endpoint
    message = signer.notification("arn:aws:sns:eu-west-1:999999999999:someone-else", _alarm())
    assert httpx.post(f"{url}/aws/sns", json=message).status_code == 401
    assert got == []


def test_subscription_confirmation_is_confirmed(sqlite_deps, signer):
    settings = load_settings(_env_file=None, slack_bot_token="xoxb-x", database_url="sqlite://", sns_topic_arns=TOPIC)
    deps = dataclasses.replace(sqlite_deps, settings=settings)

    confirmed = []
    receive = sns_endpoint(
        build_inbox(deps), deps.metrics, settings.topics, CertificateCache(lambda _url: signer.pem), confirmed.append
    )
    subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=t"
    message = signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m-1",
            "Token": "t",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe",
            "SubscribeURL": subscribe,
            "Timestamp": "2026-11-21T10:00:00.000Z",
        }
    )
    with serve(Starlette(routes=[Route("/aws/sns", receive, methods=["POST"])])) as url:
        assert httpx.post(f"{url}/aws/sns", json=message).json() == {"confirmed": True}
    assert confirmed == [subscribe]


def test_not_json_and_malformed_inner_message(endpoint, signer):
    url, _, _ = endpoint
    assert httpx.post(f"{url}/aws/sns", content=b"<xml/>").status_code == 400
    bad_inner = signer.notification(TOPIC, "not json at all")
    assert httpx.post(f"{url}/aws/sns", json=bad_inner).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"Type": ["Notification"], "TopicArn": TOPIC}, id="list-type"),
        pytest.param({"Type": "Notification", "TopicArn": [TOPIC]}, id="list-topic"),
        pytest.param({"Type": {"a": 1}, "TopicArn": {"b": 2}}, id="object-fields"),
        pytest.param({"Type": "Notification", "TopicArn": TOPIC, "Message": 7}, id="number-message"),
        pytest.param({"Type": "Notification", "TopicArn": TOPIC, "SigningCertURL": None}, id="null-cert-url"),
        pytest.param({"TopicArn": TOPIC}, id="no-type"),
        pytest.param([{"Type": "Notification"}], id="a-list"),
        pytest.param("Notification", id="a-string"),
    ],
)
def test_wrong_shapes_get_400_not_500(endpoint, body):
    url, got, fetched = endpoint
    response = httpx.post(f"{url}/aws/sns", json=body)
    assert response.status_code == 400
    assert got == [] and fetched == []


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[" * 100_000, id="deeply-nested"),
        pytest.param(b'{"Type": "Notification", "TopicArn": ' + b"[" * 20 + b"]" * 20 + b"}", id="nested-field"),
        pytest.param(b'{"Type": 1' + b"0" * 5000 + b"}", id="integer-past-the-digit-limit"),
        pytest.param(b"\xff\xfe{}", id="not-utf-8"),
    ],
)
def test_unreadable_bodies_get_400_not_500(endpoint, content):
    url, got, fetched = endpoint
    assert httpx.post(f"{url}/aws/sns", content=content).status_code == 400
    assert got == [] and fetched == []


def test_oversized_body_gets_413(endpoint):
    url, got, fetched = endpoint
    response = httpx.post(f"{url}/aws/sns", content=b'{"Message": "' + b"a" * (2 * 1024 * 1024) + b'"}')
    assert response.status_code == 413
    assert got == [] and fetched == []


def test_signed_message_with_a_deeply_nested_inner_message_gets_400(endpoint, signer):
    url, got, _ = endpoint
    message = signer.notification(TOPIC, "[" * 5000 + "]" * 5000)
    assert httpx.post(f"{url}/aws/sns", json=message).status_code == 400
    assert got == []


def test_signed_confirmation_with_a_foreign_subscribe_url_is_refused(sqlite_deps, signer):
    settings = load_settings(_env_file=None, slack_bot_token="xoxb-x", database_url="sqlite://", sns_topic_arns=TOPIC)
    deps = dataclasses.replace(sqlite_deps, settings=settings)
    confirmed = []
    receive = sns_endpoint(
        build_inbox(deps), deps.metrics, settings.topics, CertificateCache(lambda _url: signer.pem), confirmed.append
    )
    message = signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m-2",
            "Token": "t",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe",
            "SubscribeURL": "https://attacker.example/?Action=ConfirmSubscription",
            "Timestamp": "2026-11-21T10:00:00.000Z",
        }
    )
    with serve(Starlette(routes=[Route("/aws/sns", receive, methods=["POST"])])) as url:
        assert httpx.post(f"{url}/aws/sns", json=message).status_code == 401
    assert confirmed == []
