"""boto3 clients built once per service, with adaptive retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bot.errors import NotFound

# Adaptive mode adds client-side rate limiting on top of backoff, which is what a bot fanning out
# many DataZone calls needs when the service throttles.
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=30)


class AwsClients:
    """Hands out one boto3 client per service; endpoints come from AWS_ENDPOINT_URL[_<SERVICE>]."""

    def __init__(self, region: str | None, session: boto3.session.Session | None = None) -> None:
        self._session = session or boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        # boto3 sessions are not thread-safe; clients are.
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        """The shared client for `service`."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service, config=RETRIES)
            return self._clients[service]

    def client_as(self, service: str, role_arn: str, session_name: str, source_identity: str) -> Any:
        """A client for `service` acting as `role_arn`; SourceIdentity follows the session into CloudTrail."""
        credentials = self.client("sts").assume_role(
            RoleArn=role_arn,
            RoleSessionName=session_name,
            SourceIdentity=source_identity,
            DurationSeconds=900,  # one decision; never kept
        )["Credentials"]
        with self._lock:
            return self._session.client(
                service,
                config=RETRIES,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )


@contextmanager
def missing_means(message: str) -> Iterator[None]:
    """Turn an AWS ResourceNotFoundException inside the block into NotFound(message), for the user."""
    try:
        yield
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            raise NotFound(message) from None
        raise
