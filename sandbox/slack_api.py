"""A fake Slack Web API on a local port that records every call and answers like Slack would."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Call:
    """One request the bot made: Web API method (or response_url / upload path) and its decoded body."""

    method: str
    body: dict[str, Any]
    token: str | None


@dataclass
class Workspace:
    """What the fake knows about the workspace."""

    team_id: str = "T0OPSBOT"
    team: str = "opsbot sandbox"
    bot_user_id: str = "U0OPSBOT"
    bot_id: str = "B0OPSBOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)


class FakeSlack:
    """Serves /api/<method>, response_url posts and file uploads; thread-safe."""

    def __init__(self, bot_token: str = "xoxb-sandbox", app_token: str = "xapp-sandbox") -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.workspace = Workspace()
        # Where apps.connections.open sends Socket Mode clients; point it at a FakeSocketMode to serve them.
        self.socket_mode_url = "ws://127.0.0.1:9/link"
        self.calls: list[Call] = []
        self._failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "r") -> str:
        """A response_url the fake records posts to."""
        return f"{self.url}/response/{name}"

    def start(self) -> FakeSlack:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def fail_next(
        self,
        method: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` answer with `status` (for retry tests)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, body or {}, headers or {})] * times)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def reset(self) -> None:
        """Forget recorded calls and pending failures."""
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    def wait_for(self, method: str, predicate: Callable[[Call], bool] = lambda _c: True, timeout: float = 10.0) -> Call:
        """Block until a matching call arrives (listeners run after the ack, on a worker)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for call in self.calls:
                    if call.method == method and predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise TimeoutError(f"no {method} call within {timeout}s; saw {seen}")
                self._lock.wait(remaining)

    # -- serving -------------------------------------------------------------------------------

    def _record(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
            pending = self._failures.get(call.method)
            return pending.pop(0) if pending else None

    def _answer(self, method: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != self.app_token:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_mode_url}
        if token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        handler = _ANSWERS.get(method)
        if handler is None:
            return {"ok": True}
        return handler(self, body)

    def next_ts(self) -> str:
        """A message timestamp, increasing."""
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY each reply waits ~40 ms
            # for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *_args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = _decode(raw, self.headers.get("Content-Type", ""))
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
                path = self.path.split("?", 1)[0]
                if path.startswith("/api/"):
                    method = path.removeprefix("/api/")
                elif path.startswith("/response/"):
                    method = "response_url"
                    body["_path"] = path
                elif path.startswith("/upload/"):
                    method = "file_upload"
                    body = {"_path": path, "size": len(raw), "content": raw.decode("utf-8", "replace")}
                else:
                    self._send(404, {"ok": False, "error": "unknown_path"}, {})
                    return
                failure = fake._record(Call(method, body, token))
                if failure is not None:
                    status, payload, headers = failure
                    self._send(status, payload or {"ok": False, "error": "fake_failure"}, headers)
                    return
                if method in ("response_url", "file_upload"):
                    self._send(200, {"ok": True}, {})
                    return
                self._send(200, fake._answer(method, body, token), {})

            do_GET = do_POST

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


def _post_message(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    ts = fake.next_ts()
    message = {
        "type": "message",
        "ts": ts,
        "text": body.get("text", ""),
        "blocks": body.get("blocks", []),
        "bot_id": fake.workspace.bot_id,
    }
    return {"ok": True, "channel": body["channel"], "ts": ts, "message": message}


def _update(_fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text", "")}


def _ephemeral(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("channel") or not body.get("user"):
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True, "message_ts": fake.next_ts()}


def _view(_fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    view = body.get("view") or {}
    return {"ok": True, "view": {"id": f"V{abs(hash(json.dumps(view, sort_keys=True))) % 10**8:08d}", **view}}


def _auth_test(fake: FakeSlack, _body: dict[str, Any]) -> dict[str, Any]:
    ws = fake.workspace
    return {
        "ok": True,
        "url": "https://sandbox.slack.test/",
        "team": ws.team,
        "user": "opsbot",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
    }


def _usergroup_users(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    members = fake.workspace.usergroups.get(str(body.get("usergroup")))
    if members is None:
        return {"ok": False, "error": "no_such_subteam"}
    return {"ok": True, "users": list(members)}


def _users_info(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    user = fake.workspace.users.get(str(body.get("user")))
    if user is None:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "user": user}


def _permalink(_fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    channel, ts = body.get("channel"), str(body.get("message_ts") or "")
    if not channel or not ts:
        return {"ok": False, "error": "message_not_found"}
    return {
        "ok": True,
        "channel": channel,
        "permalink": f"https://sandbox.slack.test/archives/{channel}/p{ts.replace('.', '')}",
    }


def _upload_url(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    file_id = f"F{next(fake._ts):08d}"
    return {"ok": True, "upload_url": f"{fake.url}/upload/{file_id}", "file_id": file_id}


def _complete_upload(_fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    files = body.get("files")
    files = json.loads(files) if isinstance(files, str) else files or []
    return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}


_ANSWERS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": _ephemeral,
    "chat.getPermalink": _permalink,
    "views.open": _view,
    "views.update": _view,
    "views.push": _view,
    "views.publish": _view,
    "auth.test": _auth_test,
    "usergroups.users.list": _usergroup_users,
    "users.info": _users_info,
    "files.getUploadURLExternal": _upload_url,
    "files.completeUploadExternal": _complete_upload,
}
