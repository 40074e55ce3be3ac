"""Slack side of /publish: the preview and its buttons, registration commands, run status, and events."""

from __future__ import annotations

from typing import Any

from bot.arguments import AssetArgs, parse
from bot.authz import admin, anyone
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput, OpsbotError
from bot.inbox import datazone_events
from bot.inbox.envelope import InboundEvent
from bot.outbox import message
from bot.registry import Interaction, Registry
from handlers.publishing import blocks, ids
from handlers.publishing.arguments import GlueArgs, RedshiftArgs, RunArgs
from handlers.publishing.catalog import CatalogService
from handlers.publishing.owners import publisher
from handlers.publishing.payload import DETAIL_TYPE, SOURCE, parse_payload
from handlers.publishing.registration import Registration, SchemaFilter
from handlers.publishing.workflow import Publishing

RUN_EVENTS = ("Data Source Run Succeeded", "Data Source Run Failed")


def router(groups: Any = None, handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/publish and its forms; the handlers are bound to deps at registration."""
    bound = handlers or {}
    owner_rule = publisher(groups) if groups is not None else admin
    forms = [
        ("unpublish", "remove an asset from the catalog (asks to confirm)", owner_rule, "<asset>"),
        (
            "redshift",
            "register Redshift tables and views as a data source and run it",
            owner_rule,
            "<cluster>/<database>/<schema>[/<table>,...]",
        ),
        ("glue", "register Glue tables as a data source and run it", owner_rule, "<database>[/<table>,...]"),
        ("status", "progress and summary of a data source run", anyone, "<run-id>"),
    ]
    return CommandRouter(
        command="/publish",
        summary="publish assets to the business catalog and register data sources",
        fallback=Subcommand(
            "", "preview an asset, then confirm publishing", anyone, "<asset>", handler=bound.get("preview")
        ),
        subcommands=[
            Subcommand(name, summary, rule, args, handler=bound.get(name)) for name, summary, rule, args in forms
        ],
    )


def register(registry: Registry) -> None:
    """Register /publish, its buttons, and the run and registration events."""
    deps = registry.kernel
    publishing = Publishing(deps)
    catalog = CatalogService(deps.aws, deps.access.policy.publishing)
    usage = {sub.name or "preview": sub.usage("/publish") for sub in router().forms()}

    def preview(invocation: Invocation) -> None:
        """The governance preview with Confirm and Cancel."""
        args = parse(AssetArgs, invocation.args, usage["preview"])
        view = catalog.preview(publishing.domain(), args.asset)
        invocation.respond(
            response_type="ephemeral",
            text=blocks.preview_title(view, True),
            blocks=blocks.preview_card(view, publish=True),
        )

    def unpublish(invocation: Invocation) -> None:
        """The same card, to take the asset out of the catalog."""
        args = parse(AssetArgs, invocation.args, usage["unpublish"])
        view = catalog.preview(publishing.domain(), args.asset)
        user = invocation.command.user_id
        publishing.owners.require(
            deps.audit, user, view.domain_id, view.owner_project_id, "publishing.unpublish", view.asset_id
        )
        if view.listing_status not in ("ACTIVE", "CREATING"):
            raise BadInput(f"{view.name} is not published.")
        invocation.respond(
            response_type="ephemeral", text=f"Unpublish {view.name}?", blocks=blocks.preview_card(view, publish=False)
        )

    def redshift(invocation: Invocation) -> None:
        """Register a Redshift schema (or some of its tables and views) and run the data source."""
        args = parse(RedshiftArgs, invocation.args, usage["redshift"])
        registration = Registration(
            kind="REDSHIFT",
            cluster=args.cluster,
            database=args.database,
            schemas=(SchemaFilter(args.schema_name, args.tables),),
        )
        scope = f"Schema `{args.schema_name}`: " + (", ".join(f"`{t}`" for t in args.tables) or "all tables and views")
        _register(invocation, registration, scope)

    def glue(invocation: Invocation) -> None:
        """Register a Glue database (or some of its tables) and run the data source."""
        args = parse(GlueArgs, invocation.args, usage["glue"])
        registration = Registration(kind="GLUE", database=args.database, schemas=(SchemaFilter("", args.tables),))
        scope = "Tables: " + (", ".join(f"`{t}`" for t in args.tables) or "all")
        _register(invocation, registration, scope)

    def _register(invocation: Invocation, registration: Registration, scope: str) -> None:
        user = invocation.command.user_id
        channel = invocation.command.channel_id or publishing.project_channel(publishing.producer_project())
        outcome = publishing.register(registration, user, channel, scope)
        invocation.respond(
            response_type="ephemeral",
            text=f"Started run `{outcome.run_id}` of {registration.source_name}; progress is in the card's thread.",
        )

    def status(invocation: Invocation) -> None:
        """A run's status, counts and failed tables."""
        args = parse(RunArgs, invocation.args, usage["status"])
        domain = publishing.domain()
        view = publishing.runs.view(domain, args.run_id)
        invocation.respond(
            response_type="ephemeral",
            text=blocks.run_text(view),
            blocks=blocks.run_summary(view, domain, gate=not publishing.policy.publish_on_import),
        )

    registry.command(
        router(
            deps.groups,
            {"preview": preview, "unpublish": unpublish, "redshift": redshift, "glue": glue, "status": status},
        )
    )

    def decide(override: bool) -> Any:
        def listener(interaction: Interaction) -> None:
            body, respond = interaction.body, interaction.respond
            ref = ids.AssetRef.model_validate_json(body["actions"][0]["value"])
            _publish(ref, body["user"]["id"], override, respond)

        listener.__name__ = "override_publish" if override else "confirm_publish"
        return listener

    def _publish(ref: ids.AssetRef, user: str, override: bool, respond: Any) -> None:
        action = "publishing.publish" if ref.publish else "publishing.unpublish"
        try:
            is_owner = publishing.owners.require(deps.audit, user, ref.domain, ref.owner, action, ref.asset)
        except OpsbotError as refused:
            respond(replace_original=False, response_type="ephemeral", text=refused.message)
            return
        view = catalog.preview(ref.domain, ref.asset)
        if ref.publish and view.missing and not override:
            respond(replace_original=True, text="Blocked.", blocks=blocks.preview_card(view, publish=True))
            return
        detail = "" if is_owner else "as admin"
        if ref.publish and view.missing:
            detail = f"override by admin; missing: {', '.join(view.missing)}"
            deps.audit.record(actor=user, action="publishing.override", target=ref.asset, result="ok", detail=detail)
        verb = "Publishing" if ref.publish else "Unpublishing"
        respond(
            replace_original=True, text=f"{verb} {view.name}…", blocks=blocks.outcome(view.name, f"{verb.lower()}…")
        )
        try:
            catalog.change(ref.domain, ref.asset, ref.publish)
        except OpsbotError as refused:
            deps.audit.record(actor=user, action=action, target=ref.asset, result="failed", detail=refused.message)
            respond(replace_original=True, text=refused.message, blocks=blocks.outcome(view.name, refused.message))
            return
        final = catalog.follow(ref.domain, ref.asset)
        wanted = "ACTIVE" if ref.publish else "INACTIVE"
        ok = final == wanted
        deps.audit.record(
            actor=user, action=action, target=ref.asset, result="ok" if ok else final.lower(), detail=detail
        )
        if ok:
            text = (
                f"published to the catalog by <@{user}> (listing active)."
                if ref.publish
                else f"unpublished by <@{user}>: removed from the catalog."
            )
        else:
            text = f"the listing is {final.lower()}, not {wanted.lower()}."
        respond(replace_original=True, text=f"{view.name}: {text}", blocks=blocks.outcome(view.name, text))

    confirm_rule = publisher(deps.groups)
    registry.action(ids.CONFIRM, confirm_rule, decide(override=False))
    registry.action(ids.OVERRIDE, admin, decide(override=True))

    def cancel(interaction: Interaction) -> None:
        """Drop the card."""
        respond = interaction.respond
        respond(delete_original=True)

    registry.action(ids.CANCEL, anyone, cancel)

    def open_preview(interaction: Interaction) -> None:
        """A run created an asset: its preview, for the one who clicked."""
        body, respond = interaction.body, interaction.respond
        ref = ids.PreviewRef.model_validate_json(body["actions"][0]["value"])
        view = catalog.preview(ref.domain, ref.asset)
        respond(
            replace_original=False,
            response_type="ephemeral",
            text=blocks.preview_title(view, True),
            blocks=blocks.preview_card(view, publish=True),
        )

    registry.action(ids.PREVIEW, anyone, open_preview)

    def on_run_event(event: InboundEvent) -> None:
        """A run finished: the thread gets the summary now rather than at the next poll."""
        metadata, data = event.detail.get("metadata") or {}, event.detail.get("data") or {}
        domain = metadata.get("domain") or metadata.get("domainId")
        candidates = (data.get("dataSourceRunId"), data.get("runId"), metadata.get("id"))
        run_id = next((c for c in candidates if isinstance(c, str) and publishing.store.get(c)), None)
        if isinstance(domain, str) and run_id:
            publishing.report(domain, run_id)

    for detail_type in RUN_EVENTS:
        registry.on_event(datazone_events.SOURCE, datazone_events.service_event(detail_type), on_run_event)

    def on_registration(event: InboundEvent) -> None:
        """The reference's registration payload as an event: every dataset registered, cards in the project channel."""
        try:
            payload = parse_payload(event.detail)
        except BadInput as bad:
            channel = deps.settings.admin_channel
            if channel:
                text = f"Registration event `{event.event_id}`: {bad.message}"
                deps.messages.send(message.post(channel, text, key=f"publishing.invalid:{event.event_id}"))
            deps.audit.record(
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

    registry.on_event(SOURCE, DETAIL_TYPE, on_registration)
