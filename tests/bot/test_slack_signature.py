"""Our signature check agrees with slack_sdk's SignatureVerifier wherever that one gives an answer, and refuses
(instead of raising) wherever it raises."""

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.signature import Clock, SignatureVerifier

from bot.slack_signature import SlackSignature

SECRET = "test-signing-secret"
NOW = 1_764_460_800


class Fixed(Clock):
    def now(self) -> float:
        return NOW


sdk = SignatureVerifier(SECRET, clock=Fixed())
ours = SlackSignature(SECRET, clock=lambda: NOW)
timestamps = st.one_of(
    st.integers(NOW - 400, NOW + 400).map(str),
    st.integers(-(10**6), 10**12).map(str),
    st.text(max_size=15),
)


@settings(derandomize=True, database=None, max_examples=400, deadline=None)
@given(body=st.text(max_size=200), timestamp=timestamps, sign_with=st.none() | timestamps, tamper=st.booleans())
def test_same_verdict_as_slack_sdk(body, timestamp, sign_with, tamper):
    signature = sdk.generate_signature(timestamp=sign_with or timestamp, body=body)
    if tamper:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    try:
        expected = sdk.is_valid(body, timestamp, signature)
    except ValueError:
        expected = False  # slack_sdk raises on a timestamp int() cannot read; for us that is a refusal
    actual = ours.problem(body.encode(), [timestamp], [signature]) is None
    if timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12:
        assert actual == expected
    else:
        # Signs, spaces, non-ASCII digits and the like: int() may take them, Slack never sends them.
        assert actual is False


def test_a_missing_secret_refuses_everything():
    body = b"command=/backup"
    signature = sdk.generate_signature(timestamp=str(NOW), body=body)
    assert SlackSignature(None, clock=lambda: NOW).problem(body, [str(NOW)], [signature]) is not None
    assert ours.problem(body, [str(NOW)], [signature]) is None
