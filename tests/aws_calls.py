"""Records each AWS operation the bot's own clients make, through botocore's event hooks (no patching)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bot.aws import APPROVER_APPID, BOT_APPID, REQUESTER_APPID

# (signing name, operation) per app id; test-setup clients carry no app id and are not recorded.
RECORDED: dict[str, set[tuple[str, str]]] = {BOT_APPID: set(), APPROVER_APPID: set(), REQUESTER_APPID: set()}
# False as soon as part of the suite is left out, so "allowed but unused" is only judged on a whole run.
COVERAGE = {"whole_suite": True, "why_not": ""}


def record(model: Any, context: dict[str, Any], **_: Any) -> None:
    """botocore's before-call handler: note the operation when the client is one of the bot's."""
    appid = getattr(context.get("client_config"), "user_agent_appid", None)
    if appid in RECORDED:
        RECORDED[appid].add((model.service_model.signing_name, model.name))


HANDLER = ("before-call", record)

# Subprocesses (`opsbot` run by tests) register the same hook through tests/subprocess_site/sitecustomize.py.
SUBPROCESS_SITE = Path(__file__).parent / "subprocess_site"
SUBPROCESS_DIR_VARIABLE = "RECORD_AWS_CALLS_DIR"


def subprocess_environment(directory: Path) -> dict[str, str]:
    """Variables that make Python subprocesses record their bot calls as JSON files in `directory`."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SUBPROCESS_SITE), path])),
        SUBPROCESS_DIR_VARIABLE: str(directory),
    }


def recorded(appid: str) -> set[tuple[str, str]]:
    """What this process and its finished subprocesses recorded for clients with `appid`."""
    calls = set(RECORDED[appid])
    directory = os.environ.get(SUBPROCESS_DIR_VARIABLE)
    for path in Path(directory).glob("*.json") if directory else ():
        calls |= {(signing, operation) for app, signing, operation in json.loads(path.read_text()) if app == appid}
    return calls
