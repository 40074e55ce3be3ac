"""A fake Socket Mode endpoint: a real WebSocket server that sends envelopes and collects the acks."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from websockets.sync.server import ServerConnection, serve

from sandbox.slack_requests import SlackRequests


class FakeSocketMode:
    """Speaks Slack's Socket Mode protocol: hello, envelopes, and acks carrying response payloads."""

    def __init__(self) -> None:
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._changed = threading.Condition()

    @property
    def url(self) -> str:
        """What apps.connections.open hands out."""
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def start(self) -> FakeSocketMode:
        """Serve in a background thread."""
        threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close every connection and stop serving."""
        self._server.shutdown()

    def wait_connected(self, timeout: float = 30) -> None:
        """Block until a client has connected and been greeted."""
        self._wait(lambda: bool(self._connections), timeout, "no Socket Mode client connected")

    def send(self, kind: str, payload: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send one envelope (`slash_commands`, `interactive`, `events_api`) and return the app's ack."""
        return self.send_envelope(SlackRequests.socket_envelope(kind, payload), timeout)

    def send_envelope(self, envelope: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send one envelope as given and return the app's ack."""
        envelope_id, kind = envelope["envelope_id"], envelope.get("type")
        with self._changed:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        self._wait(lambda: envelope_id in self._acks, timeout, f"no ack for {kind} envelope")
        with self._changed:
            return self._acks.pop(envelope_id)

    def _wait(self, predicate: Any, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(message)
                self._changed.wait(remaining)

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0OPSBOT"},
                    "debug_info": {"host": "sandbox", "approximate_connection_time": 3600},
                }
            )
        )
        with self._changed:
            self._connections.append(connection)
            self._changed.notify_all()
        try:
            for message in connection:
                ack = json.loads(message)
                if isinstance(ack, dict) and "envelope_id" in ack:
                    with self._changed:
                        self._acks[ack["envelope_id"]] = ack
                        self._changed.notify_all()
        finally:
            with self._changed:
                self._connections.remove(connection)
                self._changed.notify_all()
