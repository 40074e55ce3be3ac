"""`kill -9` in the middle of `opsbot backup run`: the next run marks it abandoned, completes, and verify is clean."""

import http.server
import os
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest

from bot.db import Database
from handlers.backups.store import BackupStore
from sandbox.world import DOMAIN_ID
from tests.handlers.backups.helpers import items
from tests.harness import eventually

# Short, so the dead run's lease and heartbeat go stale within seconds (production: 30).
BOUND_SECONDS = "3"


class _Gate(http.server.ThreadingHTTPServer):
    """Forwards DynamoDB calls to the sandbox, but holds the write of the run's own record until the test ends.

    The run has then written the catalog's entities and not yet marked itself in the table: the middle of a run.
    """

    daemon_threads = True

    def __init__(self, upstream):
        self.upstream = upstream
        self.held = threading.Event()
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".BatchWriteItem") and b'#RUN"' in body:
            self.server.held.set()
            self.server.release.wait(120)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(self.server.upstream + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, payload, reply_headers = error.code, error.read(), error.headers
        self.send_response(status)
        for name, value in reply_headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass


@pytest.fixture
def gate(box):
    server = _Gate(box.dynamodb.url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.release.set()
    server.shutdown()


def _env(box, tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_", "AWS_"))}
    env.update(box.env())
    env.update(
        OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}",
        OPSBOT_SCHEDULER_LEASE_SECONDS=BOUND_SECONDS,
        OPSBOT_LOG_FORMAT="json",
        **extra,
    )
    return env


def _backup(*args, env, cwd):
    command = [sys.executable, "-m", "opsbot", "backup", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)


def test_a_killed_run_is_abandoned_and_the_next_one_completes(bot, box, gate, tmp_path):
    env = _env(box, tmp_path)
    dying = subprocess.Popen(
        [sys.executable, "-m", "opsbot", "backup", "run"],
        env={**env, "AWS_ENDPOINT_URL_DYNAMODB": gate.url},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gate.held.wait(120), "the run never reached its last write"
        dying.send_signal(signal.SIGKILL)
        dying.wait(30)
    finally:
        if dying.poll() is None:
            dying.kill()
    assert dying.returncode == -signal.SIGKILL
    # Mid-run: the record says running, and the entities it read are in the table under its run id.
    db = Database.from_url(env["OPSBOT_DATABASE_URL"])
    [dead] = BackupStore(db).recent(DOMAIN_ID)
    db.close()
    assert dead.status == "running"
    assert {item["runId"] for item in items(bot, "ASSET").values()} == {dead.run_id}

    # The next run is refused while the dead run's lease is still fresh, then takes over.
    outcomes = []

    def next_run_finished():
        result = _backup("run", env=env, cwd=tmp_path)
        outcomes.append(result)
        return "is still running" not in result.stderr

    eventually(next_run_finished, timeout=120)
    finished = outcomes[-1]
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "(full) succeeded" in finished.stdout

    history = _backup("history", env=env, cwd=tmp_path).stdout
    lines = [line for line in history.splitlines() if "by cli" in line]
    assert len(lines) == 2 and "full by cli: succeeded" in lines[0]
    assert lines[1].startswith(f"{dead.run_id} full by cli: abandoned, abandoned: its process stopped (last heartbeat")
    verify = _backup("verify", env=env, cwd=tmp_path)
    assert verify.returncode == 0 and "The backup matches the catalog" in verify.stdout
