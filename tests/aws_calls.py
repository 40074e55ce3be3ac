"""Records each AWS operation the bot's own clients make, through botocore's event hooks (no patching)."""

from __future__ import annotations

from typing import Any

from bot.aws import APPROVER_APPID, BOT_APPID

# (signing name, operation) per app id; test-setup clients carry no app id and are not recorded.
RECORDED: dict[str, set[tuple[str, str]]] = {BOT_APPID: set(), APPROVER_APPID: set()}
# False as soon as part of the suite is left out, so "allowed but unused" is only judged on a whole run.
COVERAGE = {"whole_suite": True, "why_not": ""}


def record(model: Any, context: dict[str, Any], **_: Any) -> None:
    """botocore's before-call handler: note the operation when the client is one of the bot's."""
    appid = getattr(context.get("client_config"), "user_agent_appid", None)
    if appid in RECORDED:
        RECORDED[appid].add((model.service_model.signing_name, model.name))


HANDLER = ("before-call", record)
