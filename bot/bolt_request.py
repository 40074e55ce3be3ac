"""Building Bolt's request from an HTTP body, working around Bolt's form parsing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from slack_bolt import BoltContext, BoltRequest
from slack_bolt.request.internals import build_context

FORM = "application/x-www-form-urlencoded"


def bolt_request(
    body: str, headers: Mapping[str, str | Sequence[str]], query: str | Mapping[str, str] | None = None
) -> BoltRequest:
    """A BoltRequest for an HTTP request from Slack, with its form body parsed correctly.

    Bolt (1.30) takes any form body containing the text "payload" for an interactive payload, so a slash
    command whose text, user name or channel name contains that word parses as {} and goes unanswered.
    The raw body must stay as Slack signed it, so the parsed body is corrected instead.
    """
    # BoltRequest's annotation asks for dict[str, str | Sequence[str]]; a plain dict[str, str] is that at run time.
    request = BoltRequest(body=body, headers=dict(headers), query=query)  # type: ignore[arg-type]
    if "payload" in body and request.content_type == FORM:
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in fields:
            request.body = fields
            request.context = build_context(BoltContext(), fields)
    return request
