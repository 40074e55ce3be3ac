"""boto3 clients built once per service and region, with adaptive retries and the bot's user agent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bot.errors import NotFound

# The app id goes into every request's User-Agent, so CloudTrail's userAgent names the bot. Calls made under
# an approver's assumed role carry their own, because they use the approver's permissions, not the bot's;
# so do doctor's permission probes, which call every action once whether the bot's work needs it or not.
BOT_APPID = "opsbot"
APPROVER_APPID = "opsbot-approver"
# Likewise a subscription request made from Slack under the requester's own role.
REQUESTER_APPID = "opsbot-requester"
PROBE_APPID = "opsbot-doctor-probe"

# Adaptive mode adds client-side rate limiting on top of backoff, which is what a bot fanning out
# many DataZone calls needs when the service throttles.
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=30)
APPROVER_CONFIG = RETRIES.merge(Config(user_agent_appid=APPROVER_APPID))
REQUESTER_CONFIG = RETRIES.merge(Config(user_agent_appid=REQUESTER_APPID))


class AwsClients:
    """Hands out one boto3 client per service and region; endpoints come from AWS_ENDPOINT_URL[_<SERVICE>]."""

    def __init__(
        self, region: str | None, session: boto3.session.Session | None = None, app_id: str = BOT_APPID
    ) -> None:
        self._session = session or boto3.session.Session(region_name=region)
        self._config = RETRIES.merge(Config(user_agent_appid=app_id))
        self._clients: dict[tuple[str, str | None], Any] = {}
        # boto3 sessions are not thread-safe; clients are.
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        """The shared client for `service`, in `region` or the session's own."""
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._session.client(service, region_name=region, config=self._config)
            return self._clients[key]

    def client_as(
        self, service: str, role_arn: str, session_name: str, source_identity: str, config: Config = APPROVER_CONFIG
    ) -> Any:
        """A client for `service` acting as `role_arn`; SourceIdentity follows the session into CloudTrail.

        `config` names the work in the User-Agent (an approver's decision unless told otherwise).
        """
        credentials = self.client("sts").assume_role(
            RoleArn=role_arn,
            RoleSessionName=session_name,
            SourceIdentity=source_identity,
            DurationSeconds=900,  # one decision or request; never kept
        )["Credentials"]
        with self._lock:
            return self._session.client(
                service,
                config=config,
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
