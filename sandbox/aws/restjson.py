"""A rest-json service emulator driven by botocore's service model: routing, parsing, validation, errors."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator


class ApiError(Exception):
    """An error the service would return: the model's error shape name and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validation(message: str) -> ApiError:
    """A ValidationException (400)."""
    return ApiError("ValidationException", message)


def not_found(message: str) -> ApiError:
    """A ResourceNotFoundException (404)."""
    return ApiError("ResourceNotFoundException", message)


def conflict(message: str) -> ApiError:
    """A ConflictException (409)."""
    return ApiError("ConflictException", message)


_LABEL = re.compile(r"\{([^}]+)\}")


def _route_pattern(uri: str) -> tuple[re.Pattern[str], int]:
    path = uri.split("?", 1)[0]
    regex, literal = "", 0
    for part in re.split(r"(\{[^}]+\})", path):
        label = _LABEL.fullmatch(part)
        if label:
            name = label.group(1)
            greedy = name.endswith("+")
            regex += f"(?P<{name.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
        else:
            regex += re.escape(part)
            literal += len(part)
    return re.compile(f"^{regex}$"), literal


class RestJsonService:
    """Dispatches HTTP requests to `handlers.<snake_case_operation>(**params)` for one service model."""

    def __init__(self, service: str, handlers: object) -> None:
        self.model = botocore.session.get_session().get_service_model(service)
        self.handlers = handlers
        self.lock = threading.RLock()
        self.faults: dict[str, list[str]] = {}
        routes = []
        for name in self.model.operation_names:
            op = self.model.operation_model(name)
            if not hasattr(handlers, _snake(name)):
                continue
            pattern, literal = _route_pattern(op.http["requestUri"])
            routes.append((op.http["method"], pattern, literal, op))
        # The most specific route (most literal characters) wins, as with API Gateway-style routing.
        self.routes = sorted(routes, key=lambda r: -r[2])
        self.calls: list[str] = []

    def operations(self) -> list[str]:
        """The operations this emulator serves."""
        return sorted(op.name for *_, op in self.routes)

    def _route(self, method: str, path: str) -> tuple[OperationModel, re.Match[str]] | None:
        for route_method, pattern, _, op in self.routes:
            match = pattern.match(path) if route_method == method else None
            if match:
                return op, match
        return None

    def fail_next(self, operation: str, code: str, times: int = 1) -> None:
        """Answer the next `times` calls of `operation` with the error `code` (ThrottlingException, ...)."""
        with self.lock:
            self.faults.setdefault(operation, []).extend([code] * times)

    def handle(
        self, method: str, target: str, body: bytes, _headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request."""
        url = urlsplit(target)
        route = self._route(method, url.path)
        if route is None:
            missing = self.model.shape_for("ResourceNotFoundException")
            return _error_response(missing, f"no route for {method} {unquote(url.path)}")
        op, match = route
        try:
            params = _parse_input(op, match.groupdict(), parse_qs(url.query, keep_blank_values=True), body)
            report = ParamValidator().validate(params, op.input_shape)
            if report.has_errors():
                raise validation(report.generate_report())
            check_constraints(params, op.input_shape, "")
            # Handlers with a lock of their own share it with their background work (a run finishing).
            with getattr(self.handlers, "lock", None) or self.lock:
                with self.lock:
                    self.calls.append(op.name)
                    faults = self.faults.get(op.name)
                    if faults:
                        raise ApiError(faults.pop(0), "injected by the sandbox")
                identify = getattr(self.handlers, "identify", None)
                if identify is not None:
                    identify(access_key(_headers or {}), _header(_headers or {}, "user-agent"))
                try:
                    result = getattr(self.handlers, _snake(op.name))(**params) or {}
                    reply = _serialize(op, result)
                except Exception:
                    abandon = getattr(self.handlers, "abandon", None)
                    if abandon is not None:
                        abandon()
                    raise
                completed = getattr(self.handlers, "completed", None)
                if completed is not None:
                    completed(op.name, params, json.loads(reply[2]) if reply[2] else None)
            return reply
        except ApiError as error:
            return _error_response(self.model.shape_for(error.code), error.message)


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def access_key(headers: dict[str, str]) -> str | None:
    """The access key id a SigV4-signed request was signed with: who is calling."""
    for name, value in headers.items():
        if name.lower() == "authorization":
            match = _CREDENTIAL.search(value)
            return match.group(1) if match else None
    return None


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _convert(value: str, shape: Shape) -> Any:
    if shape.type_name == "integer" or shape.type_name == "long":
        try:
            return int(value)
        except ValueError:
            raise validation(f"{shape.name} must be an integer") from None
    if shape.type_name == "boolean":
        return value.lower() == "true"
    return value


def _parse_input(
    op: OperationModel, labels: dict[str, str], query: dict[str, list[str]], body: bytes
) -> dict[str, Any]:
    shape = op.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    try:
        document = json.loads(body) if body else {}
    except json.JSONDecodeError:
        raise validation("request body is not JSON") from None
    if not isinstance(document, dict):
        raise validation("request body must be a JSON object")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = unquote(labels[wire])
        elif location == "querystring":
            if wire in query:
                values = query[wire]
                params[name] = (
                    [_convert(v, member.member) for v in values]
                    if member.type_name == "list"
                    else _convert(values[0], member)
                )
        elif location is None and name in document:
            params[name] = document[name]
    return params


def check_constraints(value: Any, shape: Shape, path: str) -> None:
    """Enums, patterns and maximum lengths, which botocore's client-side validator leaves to the service."""
    if shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            raise validation(f"{path or shape.name}: {value!r} is not one of {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            raise validation(f"{path or shape.name}: {value!r} does not match {pattern}")
        maximum = shape.metadata.get("max")
        if maximum is not None and len(value) > maximum:
            raise validation(f"{path or shape.name}: longer than {maximum}")
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        maximum = shape.metadata.get("max")
        if maximum is not None and value > maximum:
            raise validation(f"{path or shape.name}: {value} is above {maximum}")
    elif shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                check_constraints(value[name], member, f"{path}.{name}".lstrip("."))
    elif shape.type_name == "list" and isinstance(value, list):
        maximum = shape.metadata.get("max")
        if maximum is not None and len(value) > maximum:
            raise validation(f"{path or shape.name}: more than {maximum} items")
        for item in value:
            check_constraints(item, shape.member, path)


def project(value: Any, shape: Shape) -> Any:
    """Keep only what the shape models; timestamps become epoch seconds (rest-json's body format)."""
    if value is None:
        return None
    if shape.type_name == "structure":
        out = {}
        for name, member in shape.members.items():
            item = value.get(name)
            # The service omits absent members, and empty lists where the model asks for at least one.
            if item is None or (member.type_name == "list" and not item and member.metadata.get("min", 0) > 0):
                continue
            out[name] = project(item, member)
        return out
    if shape.type_name == "list":
        return [project(item, shape.member) for item in value]
    if shape.type_name == "map":
        return {key: project(item, shape.value) for key, item in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value


def reply_body(op: OperationModel, result: dict[str, Any]) -> bytes:
    """The handler's result as the operation's JSON reply, checked against the output shape."""
    shape = op.output_shape
    if shape is None:
        return b""
    body = project(result, shape)
    # Our own replies must match the model as strictly as botocore's requests do.
    report = ParamValidator().validate(_timestamps_back(body, shape), shape)
    if report.has_errors():
        raise RuntimeError(f"{op.name} emulator reply does not match the model: {report.generate_report()}")
    return json.dumps(body).encode()


def _serialize(op: OperationModel, result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return op.http.get("responseCode", 200), {"Content-Type": "application/json"}, reply_body(op, result)


def _timestamps_back(value: Any, shape: Shape) -> Any:
    if value is None:
        return None
    if shape.type_name == "structure":
        return {k: _timestamps_back(v, shape.members[k]) for k, v in value.items()}
    if shape.type_name == "list":
        return [_timestamps_back(v, shape.member) for v in value]
    if shape.type_name == "map":
        return {k: _timestamps_back(v, shape.value) for k, v in value.items()}
    if shape.type_name == "timestamp":
        return datetime.fromtimestamp(value, UTC)
    return value


def _error_response(shape: Shape | None, message: str) -> tuple[int, dict[str, str], bytes]:
    code = shape.name if shape is not None else "InternalServerException"
    status = shape.metadata.get("error", {}).get("httpStatusCode", 400) if shape is not None else 500
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"message": message}).encode()


class EmulatorServer:
    """Serves one or more emulators over HTTP on a free loopback port."""

    def __init__(self, service: Callable[[str, str, bytes], tuple[int, dict[str, str], bytes]]) -> None:
        handle = service

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY each reply waits ~40 ms
            # for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *_args: Any) -> None:
                pass

            def _any(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    status, headers, body = handle(self.command, self.path, raw, dict(self.headers))
                except Exception as exc:  # an emulator bug must surface as a 500, not a hang
                    status, headers = 500, {"x-amzn-ErrorType": "InternalServerException"}
                    body = json.dumps({"message": f"emulator error: {exc}"}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        """Base URL, for AWS_ENDPOINT_URL_<SERVICE>."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmulatorServer:
        """Serve in a background thread."""
        threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
