"""A json-protocol (X-Amz-Target) emulator driven by botocore's model, forwarding what it does not own."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from sandbox.aws.restjson import ApiError, check_constraints, reply_body

FORWARD = object()
"""Returned by a handler to pass the request on to the backing emulator (moto)."""


@dataclass(frozen=True)
class Merge:
    """Returned by a handler: forward the request, then add `items` to the list under `key` in the reply."""

    key: str
    items: list[Any]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class JsonService:
    """Serves `handlers.<snake_case_operation>(**params)` for one json-protocol service; the rest go on."""

    def __init__(self, service: str, handlers: object, forward_url: str) -> None:
        self.model = botocore.session.get_session().get_service_model(service)
        self.prefix = self.model.metadata["targetPrefix"]
        self.handlers = handlers
        self.forward_url = forward_url.rstrip("/")
        self.lock = threading.RLock()

    def handle(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request, or relay it to the backing emulator."""
        amz_target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        prefix, _, name = amz_target.partition(".")
        handler = getattr(self.handlers, _snake(name), None) if prefix == self.prefix else None
        if handler is None or name not in self.model.operation_names:
            return self._forward(method, target, body, headers)
        op = self.model.operation_model(name)
        try:
            params = json.loads(body or b"{}")
            report = ParamValidator().validate(params, op.input_shape)
            if report.has_errors():
                raise ApiError("InvalidRequestException", report.generate_report())
            check_constraints(params, op.input_shape, "")
            with self.lock:
                result = handler(**params)
        except ApiError as error:
            code = "InvalidRequestException" if error.code == "ValidationException" else error.code
            payload = {"__type": code, "Message": error.message}
            return 400, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(payload).encode()
        except json.JSONDecodeError:
            payload = {"__type": "InvalidRequestException", "Message": "body is not JSON"}
            return 400, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(payload).encode()
        if result is FORWARD:
            return self._forward(method, target, body, headers)
        if isinstance(result, Merge):
            status, reply_headers, forwarded = self._forward(method, target, body, headers)
            if status != 200:
                return status, reply_headers, forwarded
            merged = json.loads(forwarded or b"{}")
            ours = json.loads(reply_body(op, {result.key: result.items}))[result.key]
            merged[result.key] = ours + merged.get(result.key, [])
            return 200, reply_headers, json.dumps(merged).encode()
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, reply_body(op, result)

    def _forward(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        return forward(self.forward_url, method, target, body, headers)


def forward(
    base_url: str, method: str, target: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """Pass a request on to the emulator at `base_url` (moto) unchanged, and return its answer."""
    keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
    request = urllib.request.Request(base_url + target, data=body or None, headers=keep, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {"Content-Type": response.headers.get("Content-Type", "")}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {"Content-Type": error.headers.get("Content-Type", "")}, error.read()


def json_error(code: str, message: str) -> ApiError:
    """An error of the service's model (for EMR: InvalidRequestException, InternalServerException)."""
    return ApiError(code, message)


__all__ = ["FORWARD", "JsonService", "Merge", "forward", "json_error"]
