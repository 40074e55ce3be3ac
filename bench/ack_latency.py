"""Ack latency of signed slash commands against `opsbot run --mode http` over loopback.

Sends ROUNDS bursts of CONCURRENCY simultaneous signed slash commands, one per keep-alive connection,
and prints JSON: p50/p99 of the
time to the HTTP answer (Slack's acknowledgement), beside two references from the same run: Slack's
3,000 ms limit, and GET /healthz under the same concurrency (the server's floor without Bolt).

Then the same load again while the fake Slack answers every Web API call with 429 (Retry-After: 1),
beside that healthy run as its baseline. A third of the commands are `/backup run` from users outside the
admins' user group, so authorisation needs group membership on every one of them; the group cache is
short (OPSBOT_GROUP_CACHE_SECONDS=20) and the rate-limited load lasts 25 s, past it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.runtime import free_port  # noqa: E402
from sandbox.slack_api import FakeSlack  # noqa: E402
from sandbox.slack_requests import SlackRequests  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
SLACK_ACK_LIMIT_MS = 3000.0
COMMANDS = [
    ("/subscriptions", "help"),
    ("/publish", "help"),
    ("/backup", "history 5"),
    ("/cluster", "frobnicate"),
    ("/protein", "info"),
    # Guarded by the admin rule: decided from the policy's users and its admins' user group.
    ("/backup", "run"),
    ("/backup", "run"),
]
ADMINS_GROUP = "S0BENCHADMINS"
POLICY = f"admins:\n  users: [U0BENCHADMIN]\n  usergroups: [{ADMINS_GROUP}]\n"
# Every Web API method the bot may call during the run; auth.test is left alone (it runs once, at start).
WEB_API_METHODS = (
    "usergroups.users.list",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "chat.getPermalink",
    "views.open",
    "views.update",
    "views.publish",
    "users.info",
)
RATE_LIMITED = {"ok": False, "error": "ratelimited"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Connections:
    """CONCURRENCY keep-alive HTTP/1.1 connections driven by one asyncio loop: a load generator far
    cheaper than the server it measures, so the figures are the server's, not the client's."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open(self) -> None:
        self.streams = [await asyncio.open_connection("127.0.0.1", self.port) for _ in range(self.count)]

    async def close(self) -> None:
        for _, writer in self.streams:
            writer.close()

    @staticmethod
    async def _exchange(stream, request: bytes) -> tuple[float, int]:
        reader, writer = stream
        started = time.perf_counter()
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        await reader.readexactly(length)
        return (time.perf_counter() - started) * 1000, int(head.split(b" ", 2)[1])

    async def burst(self, requests: list[bytes]) -> list[float]:
        """Send one request on every connection at once; latencies in ms."""
        results = await asyncio.gather(*(self._exchange(s, r) for s, r in zip(self.streams, requests, strict=True)))
        bad = [status for _, status in results if status != 200]
        if bad:
            raise RuntimeError(f"non-200 answers: {bad[:5]}")
        return [ms for ms, _ in results]


def _http(method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body.encode())}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _server_histogram(metrics: str) -> dict[str, float]:
    """Share of requests the server itself answered within each bucket (its own clock, no transport)."""
    buckets = dict(re.findall(r'opsbot_slack_ack_seconds_bucket\{le="([^"]+)"\} ([0-9.e+]+)', metrics))
    total = float(buckets.pop("+Inf"))
    return {f"<= {float(le) * 1000:g} ms": round(float(n) / total, 4) for le, n in buckets.items()}


def _latencies(acks: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(acks), 2),
        "p99": round(_percentile(acks, 0.99), 2),
        "max": round(max(acks), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    fake = FakeSlack().start()
    fake.workspace.usergroups = {ADMINS_GROUP: ["U0BENCHADMIN"]}
    fake.workspace.join("C0GENERAL")  # where the bench's slash commands are typed
    requests = SlackRequests(SIGNING_SECRET, response_url=fake.response_url())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
        env.update(
            {
                "SLACK_BOT_TOKEN": fake.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": fake.api_url,
                "OPSBOT_DATABASE_URL": f"sqlite:///{tmp}/opsbot.db",
                "OPSBOT_LOG_LEVEL": "ERROR",
                "OPSBOT_CONFIG": f"{tmp}/policy.yml",
                "OPSBOT_GROUP_CACHE_SECONDS": "20",
                "PYTHONPATH": str(ROOT),
            }
        )
        Path(f"{tmp}/policy.yml").write_text(POLICY, encoding="utf-8")
        server = subprocess.Popen(
            [sys.executable, "-m", "opsbot", "run", "--mode", "http", "--port", str(port)],
            env=env,
            cwd=tmp,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("opsbot did not start")
                time.sleep(0.1)

            def commands() -> list[bytes]:
                out = []
                for i in range(args.concurrency):
                    name, text = COMMANDS[i % len(COMMANDS)]
                    body, headers = requests.slash_command(name, text, user_id=f"U{i:05d}")
                    out.append(_http("POST", "/slack/events", body, headers))
                return out

            async def measure() -> tuple[list[float], list[float], list[float], dict[str, int]]:
                pool = Connections(port, args.concurrency)
                await pool.open()
                health = [_http("GET", "/healthz")] * args.concurrency
                await pool.burst(commands())  # warm-up, not counted
                acks: list[float] = []
                floor: list[float] = []
                for _ in range(args.rounds):
                    acks += await pool.burst(commands())
                    floor += await pool.burst(health)
                # The same load while Slack rate-limits every Web API call.
                fake.reset()
                for method in WEB_API_METHODS:
                    fake.fail_next(method, 429, RATE_LIMITED, {"Retry-After": "1"}, times=10**6)
                limited: list[float] = []
                started = time.monotonic()
                for _ in range(args.rounds):
                    limited += await pool.burst(commands())
                # Past the group cache's TTL (20 s here): its background refresh meets the 429s, and the
                # membership it fetched before them ages out while the load goes on.
                while time.monotonic() - started < 25:
                    limited += await pool.burst(commands())
                calls = {method: len(fake.calls_to(method)) for method in WEB_API_METHODS}
                await pool.close()
                return acks, floor, limited, {method: n for method, n in calls.items() if n}

            acks, floor, limited, limited_calls = asyncio.run(measure())
            server_side = _server_histogram(httpx.get(f"{base}/metrics").text)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
            fake.stop()

    p99 = _percentile(acks, 0.99)
    limited_p99 = _percentile(limited, 0.99)
    print(
        json.dumps(
            {
                "benchmark": "ack_latency",
                "concurrency": args.concurrency,
                "requests": len(acks),
                "ack_ms": _latencies(acks),
                "baseline_healthz_ms": {
                    "p50": round(statistics.median(floor), 2),
                    "p99": round(_percentile(floor, 0.99), 2),
                },
                "server_side_share_within": server_side,
                "baseline_slack_limit_ms": SLACK_ACK_LIMIT_MS,
                "p99_share_of_slack_limit": round(p99 / SLACK_ACK_LIMIT_MS, 4),
                "target_p99_ms": 50,
                "target_met": p99 <= 50,
                "slack_rate_limited": {
                    "requests": len(limited),
                    "ack_ms": _latencies(limited),
                    "baseline_slack_healthy_ack_ms": _latencies(acks),
                    "p99_vs_healthy": round(limited_p99 / p99, 2),
                    "baseline_slack_limit_ms": SLACK_ACK_LIMIT_MS,
                    "p99_share_of_slack_limit": round(limited_p99 / SLACK_ACK_LIMIT_MS, 4),
                    "web_api_calls_answered_429": limited_calls,
                    "within_slack_limit": limited_p99 < SLACK_ACK_LIMIT_MS,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
