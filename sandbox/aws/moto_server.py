"""moto in server mode as the sandbox runs it: threaded, with S3 range reads that cost what they read.

moto answers `GET` with a `Range` header by reading the whole object, copying it and slicing the copy
(`moto/s3/responses.py`, `_handle_range_header`). LanceDB reads a bucket table in small ranges (index
partitions, a few rows for re-ranking) from data files of tens of megabytes, so each read of a few
kilobytes cost ~100 ms of copying, under the GIL of the process the bot runs in, and a query's ~70
concurrent reads stretched to about 2 s each. In front of moto, a single-range GET of a plain object
(no version, encryption, storage class, lock or condition asked for) is answered here from the stored
object, reading only the range; anything else goes to moto unchanged, so its answers and errors are
moto's. On S3 a range read's cost does not depend on the object's size, and with this it does not here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from moto.s3.models import s3_backends
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
# Connections waiting to be accepted (see MotoServer).
LISTEN_BACKLOG = 1024
# Keys whose GETs go to moto: what a plain object of the sandbox never has.
_SPECIAL = ("x-amz-server-side-encryption", "x-amz-storage-class", "x-amz-restore", "x-amz-version-id")


class RangeReads:
    """WSGI middleware: plain single-range GETs served from moto's stored object, the rest passed to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        reply = self._range_read(environ)
        if reply is None:
            return self.app(environ, start_response)
        status, headers, body = reply
        start_response(status, headers)
        return [body]

    def _range_read(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        wanted = _RANGE.match(environ.get("HTTP_RANGE", ""))
        if environ["REQUEST_METHOD"] != "GET" or not wanted or environ.get("QUERY_STRING"):
            return None
        if any(name.startswith("HTTP_IF_") or name.startswith("HTTP_X_AMZ_SERVER_SIDE") for name in environ):
            return None
        # Path-style addressing (`/bucket/key`), as LanceDB uses with `aws_endpoint`.
        bucket_name, _, key_name = unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
        placement = s3_backends.bucket_accounts.get(bucket_name)
        if not key_name or placement is None:
            return None
        partition, account = placement
        try:
            key = s3_backends[account][partition].get_object(bucket_name, key_name)
        except Exception:  # moto's own answer (no such key, a delete marker, ...) is the right one
            return None
        if key is None or key.lock_mode or key.lock_legal_status:
            return None
        headers = key.response_dict
        if any(name in headers for name in _SPECIAL):
            return None
        size = key.size
        begin = int(wanted.group(1))
        end = min(int(wanted.group(2)), size - 1) if wanted.group(2) else size - 1
        if begin > end:
            return None
        with key.lock:
            key._value_buffer.seek(begin)
            body = key._value_buffer.read(end - begin + 1)
        reply = {**{name: str(value) for name, value in key.metadata.items()}, **headers}
        reply.update(
            {
                "content-length": str(len(body)),
                "content-range": f"bytes {begin}-{end}/{size}",
                "accept-ranges": "bytes",
            }
        )
        return "206 Partial Content", list(reply.items()), body


class MotoServer:
    """moto on a loopback port, one thread per request, range reads through `RangeReads`."""

    def __init__(self, port: int, ip_address: str = "127.0.0.1") -> None:
        app = RangeReads(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            ip_address, port, app, threaded=True, request_handler=MotoRequestHandler
        )
        # werkzeug listens with a backlog of 128. A client that opens connections by the hundred at once
        # (LanceDB reading many index partitions of several tables) overflows it while the accepting thread
        # waits on the interpreter lock, and a dropped SYN costs TCP's one-second retransmit: a stall S3's
        # endpoints never cause.
        self._server.socket.listen(LISTEN_BACKLOG)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def lance_storage_options(url: str, region: str) -> dict[str, str]:
    """LanceDB's storage options for an `s3://` database on this endpoint (plain HTTP, the sandbox's keys)."""
    return {
        "aws_endpoint": url,
        "allow_http": "true",
        "aws_access_key_id": "sandbox",
        "aws_secret_access_key": "sandbox",
        "aws_region": region,
    }
