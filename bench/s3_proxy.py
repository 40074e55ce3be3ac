"""A counting HTTP forwarder in front of an S3 endpoint, with a fixed latency added to every request.

LanceDB's object store speaks plain HTTP to `aws_endpoint`; pointing it here instead of at moto lets a
bench count what one query costs on the wire (requests and bytes per method) and feel what in-region S3
adds per request (about 20 ms), which a loopback moto does not. One thread per client connection, each
with its own kept-alive connection upstream, so concurrent range reads stay concurrent as they are on S3.
The proxy runs in a process of its own, and `MotoProcess` runs moto (as the sandbox does) in another: on
S3, the client's interpreter, the network and the store do not wait on one interpreter lock.

    with S3Proxy("http://127.0.0.1:5000", latency_s=0.02) as proxy:
        ...  # storage option aws_endpoint = proxy.url
        proxy.snapshot()  # {"GET": {"requests": 126, "bytes_in": ..., ...}, "GET_by_part": {"index": 78, ...}}
        request_rounds(proxy.trace())  # requests waited for one after another since the reset
"""

from __future__ import annotations

import http.client
import logging
import multiprocessing
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are not forwarded.
_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class _Counts:
    """Per HTTP method: requests, bytes_in (request bodies sent), bytes_out (response bodies received), and
    upstream_ms (time spent waiting on the endpoint, summed over requests, the added latency not included);
    GETs by the part of a Lance table they read; and a trace of every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_method: dict[str, dict[str, int]] = defaultdict(
            lambda: {"requests": 0, "bytes_in": 0, "bytes_out": 0, "upstream_ms": 0}
        )
        # GETs by what they read in a Lance table (`_part`).
        self._gets_by_part: dict[str, int] = defaultdict(int)
        # One row per request since the reset, for seeing which reads wait on which (`S3Proxy.trace`).
        self._trace: list[dict[str, Any]] = []
        self._since = time.perf_counter()

    def add(
        self, method: str, path: str, byte_range: str, sent: int, received: int, arrived: float, upstream_s: float
    ) -> None:
        done = time.perf_counter()
        with self._lock:
            self._trace.append(
                {
                    "start_ms": round((arrived - self._since) * 1000, 1),
                    "end_ms": round((done - self._since) * 1000, 1),
                    "method": method,
                    "part": _part(path),
                    "path": path,
                    "range": byte_range,
                    "bytes": received,
                }
            )
            row = self._by_method[method]
            row["upstream_ms"] += round(upstream_s * 1000)
            row["requests"] += 1
            row["bytes_in"] += sent
            row["bytes_out"] += received
            if method == "GET":
                self._gets_by_part[_part(path)] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            counts = {method: dict(row) for method, row in sorted(self._by_method.items())}
            if self._gets_by_part:
                counts["GET_by_part"] = dict(sorted(self._gets_by_part.items()))
            return counts

    def trace(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._trace)

    def reset(self) -> None:
        with self._lock:
            self._by_method.clear()
            self._gets_by_part.clear()
            self._trace.clear()
            self._since = time.perf_counter()


# Where a Lance table keeps what a GET reads (the table directory's layout): version listings (a GET with a
# query string), manifests, the vector and id indexes, and the rows' data files.
_PARTS = (("/_versions/", "manifest"), ("/_indices/", "index"), ("/data/", "rows"))


def _part(path: str) -> str:
    if "?" in path:
        return "listing"
    return next((part for marker, part in _PARTS if marker in path), "other")


class _Forwarder(BaseHTTPRequestHandler):
    # HTTP/1.1 so the client keeps its connections alive, as it would against S3.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle each reply would wait for a delayed ACK.
    disable_nagle_algorithm = True
    server: _ProxyServer

    def log_message(self, *_args: Any) -> None:
        pass

    def _upstream(self) -> http.client.HTTPConnection:
        connection = getattr(self, "_connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=120)
            self._connection = connection
        return connection

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        arrived = time.perf_counter()
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        started = time.perf_counter()
        for attempt in (1, 2):
            connection = self._upstream()
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                reply = connection.getresponse()
                data = reply.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The upstream closed an idle kept-alive connection: once more on a fresh one.
                connection.close()
                self._connection = None
                if attempt == 2:
                    raise
        upstream_s = time.perf_counter() - started
        self.server.counts.add(
            self.command, self.path, self.headers.get("Range", ""), len(body or b""), len(data), arrived, upstream_s
        )
        self.send_response_only(reply.status, reply.reason)
        for key, value in reply.getheaders():
            if key.lower() not in _HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a client opening dozens of connections at once (LanceDB
    # reading many partitions) would see dropped SYNs and wait seconds for TCP's retransmit, which S3 never
    # makes it do.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-reply (a process that ended with reads in flight) is not the proxy's error.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def __init__(self, upstream: str, latency_s: float) -> None:
        super().__init__(("127.0.0.1", 0), _Forwarder)
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.latency_s = latency_s
        self.counts = _Counts()


class S3Proxy:
    """The forwarder in a process of its own, on a free loopback port: it shares no interpreter lock with the
    client or with the endpoint, as S3 shares none with its clients. `url` is the endpoint to give LanceDB
    (or boto3); counts come back over a pipe."""

    def __init__(self, upstream: str, latency_s: float = 0.0) -> None:
        self._args = (upstream, latency_s)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._control: Connection | None = None
        self.url = ""

    def _ask(self, command: str) -> Any:
        assert self._control is not None, "start the proxy first"
        self._control.send(command)
        return self._control.recv()

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Requests and bytes per method since the last reset."""
        counts: dict[str, dict[str, int]] = self._ask("snapshot")
        return counts

    def trace(self) -> list[dict[str, Any]]:
        """Every request since the last reset: when it arrived and was answered (ms since the reset), its
        method, part of the table, path, Range header and response bytes."""
        rows: list[dict[str, Any]] = self._ask("trace")
        return rows

    def reset(self) -> None:
        """Start counting from zero."""
        self._ask("reset")

    def start(self) -> S3Proxy:
        context = multiprocessing.get_context("spawn")
        self._control, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(*self._args, theirs), name="s3-proxy", daemon=True)
        self._process.start()
        self.url = self._control.recv()
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._ask("stop")
            self._process.join(10)

    def __enter__(self) -> S3Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def request_rounds(trace: list[dict[str, Any]]) -> int:
    """The longest chain of requests in a trace each sent after the one before it was answered: the round
    trips a client waited for one after another, whatever it did at once. At a fixed latency per request,
    rounds x latency is the least time the trace could have taken."""
    by_end = sorted(trace, key=lambda r: r["end_ms"])
    depth: dict[int, int] = {}
    ended, deepest_ended = 0, 0
    for row in sorted(trace, key=lambda r: r["start_ms"]):
        while ended < len(by_end) and by_end[ended]["end_ms"] <= row["start_ms"]:
            deepest_ended = max(deepest_ended, depth.get(id(by_end[ended]), 0))
            ended += 1
        depth[id(row)] = deepest_ended + 1
    return max(depth.values(), default=0)


def _serve(upstream: str, latency_s: float, control: Connection) -> None:
    """The proxy process: serve on threads, answer the parent's commands until it says stop."""
    server = _ProxyServer(upstream, latency_s)
    threading.Thread(target=server.serve_forever, name="s3-proxy", daemon=True).start()
    host, port = server.server_address[:2]
    control.send(f"http://{host}:{port}")
    while (command := control.recv()) != "stop":
        if command == "reset":
            server.counts.reset()
        answers = {"snapshot": server.counts.snapshot, "trace": server.counts.trace}
        control.send(answers[command]() if command in answers else None)
    server.shutdown()
    server.server_close()
    control.send(None)


class MotoProcess:
    """The sandbox's moto (`sandbox.aws.moto_server.MotoServer`) in a process of its own, on `port`."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        context = multiprocessing.get_context("spawn")
        self._control, theirs = context.Pipe()
        self._process = context.Process(target=_serve_moto, args=(port, theirs), name="moto", daemon=True)

    def start(self) -> MotoProcess:
        self._process.start()
        self._control.recv()
        return self

    def stop(self) -> None:
        self._control.send("stop")
        self._process.join(10)


def _serve_moto(port: int, control: Connection) -> None:
    from sandbox.aws.moto_server import MotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = MotoServer(port).start()
    control.send("ready")
    control.recv()
    server.stop()
