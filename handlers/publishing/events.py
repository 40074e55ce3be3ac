"""Inbound events of publishing: DataZone's run results, and registration payloads sent to the inbox."""

from __future__ import annotations

from bot.errors import BadInput, OpsbotError
from bot.inbox.envelope import InboundEvent
from bot.outbox import message
from handlers.publishing.payload import parse_payload
from handlers.publishing.workflow import Publishing

RUN_EVENTS = ("Data Source Run Succeeded", "Data Source Run Failed")


def on_run_event(publishing: Publishing, event: InboundEvent) -> None:
    """A run finished: the thread gets the summary now rather than at the next poll."""
    metadata, data = event.detail.get("metadata") or {}, event.detail.get("data") or {}
    domain = metadata.get("domain") or metadata.get("domainId")
    candidates = (data.get("dataSourceRunId"), data.get("runId"), metadata.get("id"))
    run_id = next((c for c in candidates if isinstance(c, str) and publishing.store.get(c)), None)
    if isinstance(domain, str) and run_id:
        publishing.report(domain, run_id)


def on_registration(publishing: Publishing, event: InboundEvent) -> None:
    """The reference's registration payload as an event: every dataset registered, cards in the project channel."""
    try:
        payload = parse_payload(event.detail)
    except BadInput as bad:
        channel = publishing.admin_channel
        if channel:
            text = f"Registration event `{event.event_id}`: {bad.message}"
            publishing.messages.send(message.post(channel, text, key=f"publishing.invalid:{event.event_id}"))
        publishing.audit.record(
            actor="inbox",
            action="publishing.register",
            target=event.event_id,
            result="invalid",
            detail=bad.message[:500],
        )
        return
    project = publishing.producer_project()
    for registration in payload.registrations():
        scope = ", ".join(f"`{s.schema}`: " + (", ".join(s.include) or "all") for s in registration.schemas)
        try:
            publishing.register(registration, "inbox", publishing.project_channel(project), scope, trusted=True)
        except OpsbotError:
            continue  # already told in the card's thread and the audit log
