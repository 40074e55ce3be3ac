"""A proxy in front of the fake Slack for outbox tests: records what each call got back, loses answers on demand,
and answers conversations.history / conversations.replies from the posts that went through it.

Losing an answer (the post reaches the fake, which stores it and gives it a ts, and the bot gets a 500) is the
fault Slack's own 5xx-after-store is; the fake cannot make it, since its failures answer before storing.
The history shapes follow Slack's reference: https://docs.slack.dev/reference/methods/conversations.history and
https://docs.slack.dev/reference/methods/conversations.replies (`messages[]` with `type`, `ts`, `text`,
`thread_ts` for replies, and `metadata {event_type, event_payload}` only with `include_all_metadata`;
`has_more`; `response_metadata.next_cursor`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Seen:
    """One call as the bot saw it: when it arrived, the method, its body, and the status it got back."""

    at: float
    method: str
    body: dict[str, Any]
    status: int
    answer: dict[str, Any]
    # Slack has it, whatever the bot was told.
    forwarded_ok: bool = False


def _form(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        return json.loads(text) if text else {}
    body: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
    for key in ("blocks", "metadata"):
        if isinstance(body.get(key), str):
            with contextlib.suppress(ValueError):
                body[key] = json.loads(body[key])
    return body


class SlackProxy:
    """Forwards /api/<method> to `upstream` (the fake Slack's base URL)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.seen: list[Seen] = []
        self.stored: list[dict[str, Any]] = []  # posts Slack holds: channel, ts, text, thread_ts, metadata
        self._lose: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def lose_answers(self, method: str, times: int) -> None:
        """The next `times` calls of `method` reach Slack, but the bot is answered 500."""
        with self._lock:
            self._lose[method] = self._lose.get(method, 0) + times

    def landed(self, method: str, predicate: Any = lambda _b: True) -> list[Seen]:
        """Calls of `method` Slack accepted, whatever answer the bot got."""
        with self._lock:
            return [s for s in self.seen if s.method == method and s.forwarded_ok and predicate(s.body)]

    # -- serving ------------------------------------------------------------------------------------

    def _history(self, body: dict[str, Any], replies: bool) -> dict[str, Any]:
        channel, oldest = body.get("channel"), float(body.get("oldest") or 0)
        metadata = str(body.get("include_all_metadata", "")).lower() in ("true", "1")
        with self._lock:
            posts = [p for p in self.stored if p["channel"] == channel and float(p["ts"]) > oldest]
        if replies:
            posts = [p for p in posts if p.get("thread_ts") == body.get("ts")]
        else:
            posts = [p for p in posts if not p.get("thread_ts")]
        messages = []
        for post in sorted(posts, key=lambda p: float(p["ts"]), reverse=not replies):
            shown = {"type": "message", "ts": post["ts"], "text": post["text"], "bot_id": "B0OPSBOT"}
            if post.get("thread_ts"):
                shown["thread_ts"] = post["thread_ts"]
            if metadata and post.get("metadata"):
                shown["metadata"] = post["metadata"]
            messages.append(shown)
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.monotonic()
                method = self.path.split("?", 1)[0].removeprefix("/api/")
                body = _form(raw, self.headers.get("Content-Type", ""))
                if method in ("conversations.history", "conversations.replies"):
                    answer = proxy._history(body, replies=method == "conversations.replies")
                    self._send(200, answer, {})
                    with proxy._lock:
                        proxy.seen.append(Seen(at, method, body, 200, answer, True))
                    return
                request = urllib.request.Request(
                    proxy.upstream + self.path,
                    data=raw,
                    headers={k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, headers, data = response.status, dict(response.headers), response.read()
                except urllib.error.HTTPError as error:
                    status, headers, data = error.code, dict(error.headers), error.read()
                answer = json.loads(data or b"{}")
                ok = status == 200 and answer.get("ok") is True
                with proxy._lock:
                    lose = proxy._lose.get(method, 0) > 0 and ok
                    if lose:
                        proxy._lose[method] -= 1
                    if ok and method == "chat.postMessage":
                        proxy.stored.append(
                            {
                                "channel": body.get("channel"),
                                "ts": answer.get("ts"),
                                "text": body.get("text", ""),
                                "thread_ts": body.get("thread_ts"),
                                "metadata": body.get("metadata"),
                            }
                        )
                    sent_status = 500 if lose else status
                    proxy.seen.append(Seen(at, method, body, sent_status, answer, ok))
                if lose:
                    self._send(500, {"ok": False, "error": "internal_error"}, {})
                    return
                passed = {k: v for k, v in headers.items() if k.lower() == "retry-after"}
                self._send(status, answer, passed)

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
