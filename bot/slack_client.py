"""The Slack Web API clients: one for answers and reads, one for the outbox that never retries by itself."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings

# The outbox's calls time out sooner than its channel hold (bot/outbox/pacing.py HOLD), so a slot never expires
# under a call still running.
DELIVERY_TIMEOUT = 15


def build_slack_client(settings: Settings) -> WebClient:
    """A WebClient on SLACK_API_URL that retries 429s (honouring Retry-After), 5xx and dropped connections.

    For calls whose repetition is harmless (views, reads, answers to a click); messages go through the outbox.
    """
    return WebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_delivery_client(settings: Settings) -> WebClient:
    """A WebClient that retries nothing: a 5xx or a timeout after a post may have landed, so the outbox decides.

    An empty list matters: WebClient given None installs a connection-error retry handler of its own.
    """
    return WebClient(
        token=settings.bot_token, base_url=settings.slack_api_url, timeout=DELIVERY_TIMEOUT, retry_handlers=[]
    )
