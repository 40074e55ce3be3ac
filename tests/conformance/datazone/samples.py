"""The samples beside this file (see SOURCES.md) with the sandbox's ids put in, and nothing else changed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from bot.inbox.envelope import InboundEvent, parse_message

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    """One sample as published (or composed), fresh each time."""
    return json.loads((HERE / name).read_text())


def service_event(name: str, entity_id: str, domain: str, detail_type: str | None = None) -> dict[str, Any]:
    """A DataZone service event naming `entity_id` in `domain` (optionally under another published detail-type)."""
    sample = load(name)
    sample["id"] = str(uuid.uuid4())
    sample["detail"]["metadata"].update(id=entity_id, domain=domain)
    if detail_type is not None:
        sample["detail-type"] = detail_type
    return sample


def api_call(
    name: str, domain: str, request: dict[str, Any] | None = None, response: dict[str, Any] | None = None
) -> dict[str, Any]:
    """CloudTrail's record of a DataZone call, in `domain`, with the sandbox's ids in its parameters."""
    sample = load(name)
    sample["id"] = str(uuid.uuid4())
    record = sample["detail"]
    record["eventID"] = str(uuid.uuid4())
    record["requestParameters"].update(domainIdentifier=domain, **(request or {}))
    if response is not None:
        record["responseElements"] = {**(record["responseElements"] or {}), "domainId": domain, **response}
    return sample


def inbound(sample: dict[str, Any]) -> InboundEvent:
    """The event as the inbox gets it, unwrapped by the production envelope parser."""
    return parse_message(json.dumps(sample), str(uuid.uuid4()))
