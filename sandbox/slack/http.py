"""The fake Slack's HTTP side: requests decoded as Slack reads them, answers written back."""

from __future__ import annotations

import contextlib
import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sandbox.slack.records import Call

if TYPE_CHECKING:
    from sandbox.slack.server import FakeSlack


def handler_class(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    """The request handler serving `fake`: /api/<method>, /response/<name> and /upload/v1/<file id>."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without TCP_NODELAY each reply waits ~40 ms
        # for a delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, *_args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?", 1)[0]
            query = dict(parse_qsl(self.path.split("?", 1)[1])) if "?" in self.path else {}
            body = {**query, **_decode(raw, self.headers.get("Content-Type", ""))}
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
            if path.startswith("/api/"):
                method = path.removeprefix("/api/")
            elif path.startswith("/response/"):
                method = "response_url"
                body["_path"] = path
            elif path.startswith("/upload/"):
                method = "file_upload"
                body = {"_path": path, "size": len(raw), "content": raw.decode("utf-8", "replace"), "_bytes": raw}
            else:
                self._send(404, {"ok": False, "error": "unknown_path"}, {})
                return
            call = Call(method, body, token)
            status, payload, headers = fake.serve(call)
            self._send(status, payload, headers)

        do_GET = do_POST

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            if isinstance(payload, str):
                data, kind = payload.encode(), "text/plain; charset=utf-8"
            else:
                data, kind = json.dumps(payload).encode(), "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return {"_raw": text}
        return value if isinstance(value, dict) else {"_raw": value}
    body: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
    for key in ("blocks", "attachments", "view", "files"):
        if isinstance(body.get(key), str):
            with contextlib.suppress(json.JSONDecodeError):
                body[key] = json.loads(body[key])
    return body
