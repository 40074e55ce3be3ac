"""A proxy in front of the fake Slack for outbox tests: records what each call got back and loses answers on demand.

Losing an answer (the post reaches the fake, which stores it and gives it a ts, and the bot gets a 500) is the
fault Slack's own 5xx-after-store is; the fake cannot make it, since its failures answer before storing.
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
