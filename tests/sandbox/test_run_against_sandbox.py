"""`opsbot sandbox` prints a working environment, and `opsbot run` with it consumes the events queue."""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from sandbox.runtime import start_sandbox
from tests.harness import eventually, free_port, running_opsbot


def test_opsbot_run_consumes_sandbox_events(tmp_path):
    box = start_sandbox(tmp_path)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_", "AWS_"))}
        env.update(box.env(), OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", OPSBOT_SQS_WAIT_SECONDS="1")
        port = free_port()
        with running_opsbot("http", port, env, tmp_path) as (_process, stopped):
            event = {
                "version": "0",
                "id": "ev-run-1",
                "detail-type": "Asset Added To Catalog",
                "source": "aws.datazone",
                "account": "123456789012",
                "time": "2026-11-21T10:00:00Z",
                "region": "eu-west-1",
                "resources": [],
                "detail": {"metadata": {"id": box.world.assets["mkt_sls_table"]}},
            }
            box.client("sqs").send_message(QueueUrl=box.world.queue_url, MessageBody=json.dumps(event))

            def counted():
                try:
                    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
                except httpx.TransportError:
                    return False
                # Backups route this event (the asset is backed up); whatever the outcome, it was consumed once.
                return re.search(r'opsbot_inbox_events_total\{outcome="\w+",source="aws.datazone"\} 1\.0', metrics)

            eventually(counted, timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        queue = box.client("sqs").get_queue_attributes(
            QueueUrl=box.world.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert queue["Attributes"]["ApproximateNumberOfMessages"] == "0"
    finally:
        box.stop()


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_opsbot_sandbox_prints_exports_and_stops_on_interrupt(tmp_path, stop_with):
    process = subprocess.Popen(
        [sys.executable, "-m", "opsbot", "sandbox"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Drained as it comes: a sandbox that logs more than a pipe holds would otherwise block on a write.
    errors: list[str] = []
    threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True).start()
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("# then:"):
            break
    exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export "))
    assert exports["AWS_ENDPOINT_URL_DATAZONE"].startswith("http://127.0.0.1:")
    # The protein database's storage options are JSON, quoted for the shell.
    storage = json.loads(shlex.split(exports["OPSBOT_PROTEIN_STORAGE_OPTIONS"])[0])
    assert exports["OPSBOT_PROTEIN_DB"].startswith("s3://") and storage["aws_endpoint"] == exports["AWS_ENDPOINT_URL"]
    assert (
        httpx.post(
            exports["SLACK_API_URL"] + "auth.test", headers={"Authorization": f"Bearer {exports['SLACK_BOT_TOKEN']}"}
        ).json()["ok"]
        is True
    )
    # Sent the moment the last line is read: on a loaded machine that used to land before the sandbox was
    # waiting for it, skipping its stop (exit 1, or a hang at exit).
    process.send_signal(stop_with)
    try:
        code = process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the sandbox did not stop within 60 s; its stderr:\n" + "".join(errors)[-4000:])
    assert code == 0, "".join(errors)[-4000:]
