"""STS in front of moto: every call is recorded as sent (moto drops SourceIdentity), then answered by moto."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qsl

import boto3

from sandbox.aws.jsonproto import forward


class StsRecorder:
    """Forwards query-protocol STS requests to moto, keeping each call's parameters for tests to read."""

    def __init__(self, moto_url: str, region: str) -> None:
        self.moto_url, self.region = moto_url, region
        self.calls: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._principals: dict[str, str] = {}

    def handle(
        self, method: str, target: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Record, then forward."""
        with self._lock:
            self.calls.append(dict(parse_qsl(body.decode("utf-8", "replace"))))
        return forward(self.moto_url, method, target, body, headers or {})

    def principal(self, access_key: str) -> str | None:
        """The ARN temporary credentials from AssumeRole stand for (as CloudTrail and DataZone would see it)."""
        if not access_key.startswith("ASIA"):
            return None
        with self._lock:
            if access_key in self._principals:
                return self._principals[access_key]
        sts = boto3.client(
            "sts",
            region_name=self.region,
            endpoint_url=self.moto_url,
            aws_access_key_id=access_key,
            aws_secret_access_key="unchecked-by-moto",
        )
        arn: Any = sts.get_caller_identity().get("Arn")
        with self._lock:
            self._principals[access_key] = arn
        return arn
