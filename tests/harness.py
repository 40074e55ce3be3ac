"""Helpers the tests share: drive a Bolt app with signed requests, run HTTP mode on a free port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from slack_bolt import App, BoltResponse
from sqlalchemy import text

from bot.bolt_request import bolt_request
from bot.db import Database, create_db_engine
from sandbox.runtime import free_port
from sandbox.slack_api import FakeSlack
from sandbox.slack_requests import SlackRequests

SIGNING_SECRET = "test-signing-secret"


class BoltDriver:
    """Sends signed requests straight into `App.dispatch`, as the HTTP adapter would."""

    def __init__(self, app: App, requests: SlackRequests) -> None:
        self.app = app
        self.requests = requests

    def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        """Dispatch one raw request."""
        return self.app.dispatch(bolt_request(body, headers))

    def command(self, command: str, text: str = "", *, user: str, **kwargs: object) -> BoltResponse:
        """A signed slash command from `user`."""
        return self.dispatch(*self.requests.slash_command(command, text, user_id=user, **kwargs))  # type: ignore[arg-type]

    def click(self, action_id: str, *, user: str, **kwargs: object) -> BoltResponse:
        """A signed button click from `user`."""
        return self.dispatch(*self.requests.block_action(action_id, user_id=user, **kwargs))  # type: ignore[arg-type]

    def submit(self, callback_id: str, *, user: str, **kwargs: object) -> BoltResponse:
        """A signed modal submission from `user`."""
        return self.dispatch(*self.requests.view_submission(callback_id, user_id=user, **kwargs))  # type: ignore[arg-type]

    def close(self, callback_id: str, *, user: str, **kwargs: object) -> BoltResponse:
        """A signed view_closed from `user`."""
        return self.dispatch(*self.requests.view_closed(callback_id, user_id=user, **kwargs))  # type: ignore[arg-type]

    def event(self, event: dict[str, object], **kwargs: object) -> BoltResponse:
        """A signed Events API callback."""
        return self.dispatch(*self.requests.event(event, **kwargs))  # type: ignore[arg-type]


def eventually(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `predicate()` is truthy: listeners finish on a worker after the ack."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.01)


def opsbot_env(fake_slack: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for an `opsbot` subprocess: the fake Slack, a fresh SQLite file, dummy AWS credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_", "AWS_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": fake_slack.bot_token,
            "SLACK_APP_TOKEN": fake_slack.app_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "OPSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'opsbot.db'}",
            "OPSBOT_LOG_FORMAT": "json",
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    env.update(extra)
    return env


@dataclass
class Stopped:
    """How a bot process ended after SIGTERM."""

    returncode: int | None = None
    stderr: str = ""


@contextmanager
def running_opsbot(mode: str, port: int, env: dict[str, str], cwd: Path) -> Iterator[tuple[subprocess.Popen, Stopped]]:
    """`opsbot run` in a subprocess; on leaving the block it gets SIGTERM and `Stopped` says how it ended."""
    command = [sys.executable, "-m", "opsbot", "run", "--mode", mode, "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped = Stopped()
    try:
        yield process, stopped
        process.send_signal(signal.SIGTERM)
        _, stopped.stderr = process.communicate(timeout=60)
        stopped.returncode = process.returncode
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@contextmanager
def serve(asgi_app: object) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """A Database in a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_db_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    database = Database(engine)
    try:
        yield database
    finally:
        database.close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
