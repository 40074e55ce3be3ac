"""A fake Slack Web API on a local port: checks every call as Slack does, records it, and keeps what it refused."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar

from sandbox.slack.faults import Answer, Faults
from sandbox.slack.http import handler_class
from sandbox.slack.messages import Verdict, check_message, refusal_body
from sandbox.slack.methods import ANSWERS, Upload
from sandbox.slack.records import Call, Refusal, next_sequence
from sandbox.slack.unfurls import SharedLinks, share_links
from sandbox.slack.workspace import Workspace


class FakeSlack:
    """Serves /api/<method>, response_url posts and file uploads like Slack; thread-safe."""

    _running: ClassVar[weakref.WeakSet[FakeSlack]] = weakref.WeakSet()

    def __init__(
        self,
        bot_token: str = "xoxb-sandbox",
        app_token: str = "xapp-sandbox",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.workspace = Workspace()
        # Where apps.connections.open sends Socket Mode clients; point it at a FakeSocketMode to serve them.
        self.socket_mode_url = "ws://127.0.0.1:9/link"
        self.calls: list[Call] = []
        self.refused: list[Refusal] = []
        self.forgotten: list[Refusal] = []
        self.warned: list[Refusal] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, Upload] = {}
        # Links people pasted (link_shared) and the app's chat.unfurl previews of them.
        self.links = SharedLinks()
        self.faults = Faults(clock)
        self.ids = itertools.count(1)
        self._expected: list[set[str] | None] = []
        self._lock = threading.Condition()
        self._serving = threading.local()  # the call this server thread is answering
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @classmethod
    def running(cls) -> list[FakeSlack]:
        """Every fake serving in this process."""
        return list(cls._running)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.url}/api/"

    @property
    def files(self) -> dict[str, Upload]:
        """Files shared through files.completeUploadExternal, with their bytes."""
        return {key: upload for key, upload in self.uploads.items() if upload.shared}

    def file_named(self, ref: dict[str, Any]) -> str | None:
        """The name of the file a Block Kit slack_file object names ({"id"} or {"url"}), if the workspace holds it.

        A file is held once files.completeUploadExternal completed it, shared to a channel or not (the bot that
        uploaded it can see it either way). The fake hands out no url_private or permalink, so only ids it gave
        out, and URLs of the form Slack's file objects show, name a file.
        """
        with self._lock:
            held = {key: upload for key, upload in self.uploads.items() if upload.shared}
        if ref.get("id") is not None:
            upload = held.get(str(ref["id"]))
            return upload.filename if upload else None
        for upload in held.values():
            if ref.get("url") in self.file_urls(upload.id):
                return upload.filename
        return None

    def file_urls(self, file_id: str) -> tuple[str, str]:
        """url_private and permalink of a held file, in the shapes Slack's file object gives them."""
        upload = self.uploads[file_id]
        ws = self.workspace
        return (
            f"https://files.sandbox.slack.test/files-pri/{ws.team_id}-{file_id}/{upload.filename}",
            f"https://sandbox.slack.test/files/{ws.bot_user_id}/{file_id}/{upload.filename}",
        )

    @property
    def lock(self) -> threading.Condition:
        """The lock (reentrant) guarding what the methods keep; held while one of them answers."""
        return self._lock

    def share_links(self, channel: str, user: str, urls: list[str]) -> dict[str, Any]:
        """`user` pastes `urls` in `channel`: the message is kept and the link_shared event Slack sends returned."""
        return share_links(self, channel, user, urls)

    def response_url(self, name: str = "r") -> str:
        """A response_url the fake records posts to."""
        return f"{self.url}/response/{name}"

    def start(self) -> FakeSlack:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        FakeSlack._running.add(self)
        return self

    def stop(self) -> None:
        """Stop serving."""
        FakeSlack._running.discard(self)
        self._server.shutdown()
        self._server.server_close()

    # -- faults ----------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for any) answer with `status`; `when` picks which calls."""
        answer = Answer(status, body or {"ok": False, "error": "fatal_error"}, headers or {}, when)
        self.faults.fail_next(method, answer, times)

    def fail_for(
        self,
        method: str,
        seconds: float,
        status: int = 503,
        retry_after: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Every call of `method` ("*" for any) in the next `seconds` answers `status` (429 says ratelimited)."""
        default = {"ok": False, "error": "ratelimited" if status == 429 else "service_unavailable"}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.faults.fail_for(method, seconds, Answer(status, body or default, headers))

    def ratelimit(self, method: str = "*", calls: int = 1, per_seconds: float = 60.0) -> None:
        """Slack's rate limiting: past `calls` calls in `per_seconds`, HTTP 429 with Retry-After."""
        self.faults.ratelimit(method, calls, per_seconds)

    # -- what tests look at ---------------------------------------------------------------------

    @contextlib.contextmanager
    def expect_refusals(self, *errors: str) -> Iterator[None]:
        """Refusals (and warnings) with these errors, or any when none are named, are expected inside the block."""
        allowed = set(errors) or None
        with self._lock:
            self._expected.append(allowed)
        try:
            yield
        finally:
            with self._lock:
                self._expected.remove(allowed)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def reset(self) -> None:
        """Forget recorded calls, refusals, messages, files and pending faults.

        Refusals forgotten mid-test stay in `forgotten`, so the check for refusals a test did not expect sees them.
        """
        with self._lock:
            self.forgotten = [*self.forgotten, *self.refused, *self.warned][-1000:]
            self.calls.clear()
            self.refused.clear()
            self.warned.clear()
            self.messages.clear()
            self.views.clear()
            self.uploads.clear()
            self.links.clear()
            self.faults.clear()

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
                    seen = [c.method + (f" ({c.error})" if c.error else "") for c in self.calls]
                    raise TimeoutError(f"no {method} call within {timeout}s; saw {seen}")
                self._lock.wait(remaining)

    # -- state the methods keep ----------------------------------------------------------------

    def next_ts(self) -> str:
        """A message timestamp, increasing."""
        return f"{int(time.time())}.{next(self.ids):06d}"

    def store_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: Any,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keep a posted message, so chat.update, chat.getPermalink and conversations.history find it."""
        ts = self.next_ts()
        message = {"type": "message", "ts": ts, "text": text, "blocks": blocks, "bot_id": self.workspace.bot_id}
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        if metadata:
            message["metadata"] = metadata
        with self._lock:
            self.messages[(channel, ts)] = message
        return message

    def store_view(self, view: dict[str, Any], view_id: str | None, user_id: Any) -> dict[str, Any]:
        """Keep a view shown to a user; views.update needs its id and hash."""
        view_id = view_id or f"V{next(self.ids):09d}"
        stored = {**view, "id": view_id, "hash": f"{int(time.time())}.{next(self.ids):08d}"}
        if user_id:
            stored["user_id"] = user_id
        with self._lock:
            self.views[view_id] = stored
        return stored

    def note_fallback(self, verdict: Verdict, method: str, body: dict[str, Any]) -> None:
        """Blocks without a text fallback, or text Slack truncated: accepted, but warnings a test must expect."""
        call = getattr(self._serving, "call", None) or Call(method, body, None)
        if verdict.missing_fallback:
            missing = ["blocks were sent without a top-level `text`"]
            self._complain(method, "missing_text_fallback", missing, call, warning=True)
        for warning in verdict.warnings:
            self._complain(method, warning, verdict.messages, call, warning=True)

    # -- serving -------------------------------------------------------------------------------

    def _complain(
        self,
        method: str,
        error: str,
        messages: list[str],
        call: Call,
        *,
        injected: bool = False,
        warning: bool = False,
    ) -> None:
        with self._lock:
            expected = any(allowed is None or error in allowed for allowed in self._expected)
            refusal = Refusal(next_sequence(), method, error, messages, call, injected, expected, warning)
            (self.warned if warning else self.refused).append(refusal)
            if warning:
                call.warnings.append(error)

    def serve(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        """Answer one call as Slack would, then record it (with its error and answer) for tests to read."""
        self._serving.call = call
        answered = self._answer(call)
        self._record(call)
        return answered

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _answer(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON body (or text) and headers for one recorded call."""
        injected = self.faults.take(call.method, call.body)
        if injected is not None:
            error = str(injected.body.get("error", f"HTTP {injected.status}"))
            call.error = error
            self._complain(call.method, error, [], call, injected=True)
            return injected.status, injected.body, injected.headers
        if call.method == "response_url":
            return self._response_url(call)
        if call.method == "file_upload":
            return self._file_upload(call)
        answer = self._web_api(call)
        call.answer = answer
        if not answer.get("ok"):
            call.error = answer["error"]
            call.messages = answer.get("response_metadata", {}).get("messages", [])
            self._complain(call.method, call.error, call.messages, call)
        return 200, answer, {}

    def _web_api(self, call: Call) -> dict[str, Any]:
        # https://docs.slack.dev/authentication/tokens: a call without a token is not_authed, a wrong one
        # invalid_auth; apps.connections.open takes the app-level token.
        if not call.token:
            return {"ok": False, "error": "not_authed"}
        if call.method == "apps.connections.open":
            if call.token != self.app_token:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_mode_url}
        if call.token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        handler = ANSWERS.get(call.method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(self, call.body)

    def _response_url(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        # https://docs.slack.dev/interactivity/handling-user-interaction#message_responses: a response_url takes
        # the message payload of chat.postMessage (plus response_type, replace_original, delete_original).
        body = call.body
        verdict = check_message(body, needs_content=not body.get("delete_original"), files=self.file_named)
        if verdict.error:
            call.error, call.messages = verdict.error, verdict.messages
            self._complain(call.method, verdict.error, verdict.messages, call)
            return 400, refusal_body(verdict.error, verdict.messages), {}
        self.note_fallback(verdict, "response_url", body)
        return 200, {"ok": True}, {}

    def _file_upload(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        # files.getUploadURLExternal: "Upload a file by making a POST request to the upload URL"; Slack's upload
        # service answers 200 with the text "OK - <bytes>".
        upload = self.uploads.get(call.body["_path"].rsplit("/", 1)[-1])
        if upload is None or upload.content is not None:
            call.error = "upload_url_not_found"
            self._complain(call.method, call.error, [], call)
            return 404, "Not Found", {}
        upload.content = call.body.pop("_bytes")
        return 200, f"OK - {len(upload.content)}", {}
