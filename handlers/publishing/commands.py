"""/publish: the governance preview, unpublish, Redshift and Glue registration, and a run's status."""

from __future__ import annotations

from typing import Any

from bot.arguments import AssetArgs, parse
from bot.authz import admin, anyone
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput
from handlers.publishing import blocks
from handlers.publishing.arguments import GlueArgs, RedshiftArgs, RunArgs
from handlers.publishing.catalog import CatalogService
from handlers.publishing.owners import publisher
from handlers.publishing.registration import Registration, SchemaFilter
from handlers.publishing.workflow import Publishing


def router(groups: Any = None, handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/publish and its forms; the handlers are bound to the capability's objects at registration."""
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


# Each form's usage line, for the errors its arguments raise.
USAGE = {sub.name or "preview": sub.usage("/publish") for sub in router().forms()}


def preview(publishing: Publishing, catalog: CatalogService, invocation: Invocation) -> None:
    """The governance preview with Confirm and Cancel."""
    args = parse(AssetArgs, invocation.args, USAGE["preview"])
    view = catalog.preview(publishing.domain(), args.asset)
    invocation.respond(
        response_type="ephemeral",
        text=blocks.preview_title(view, True),
        blocks=blocks.preview_card(view, publish=True),
    )


def unpublish(publishing: Publishing, catalog: CatalogService, invocation: Invocation) -> None:
    """The same card, to take the asset out of the catalog."""
    args = parse(AssetArgs, invocation.args, USAGE["unpublish"])
    view = catalog.preview(publishing.domain(), args.asset)
    user = invocation.command.user_id
    publishing.owners.require(
        publishing.audit, user, view.domain_id, view.owner_project_id, "publishing.unpublish", view.asset_id
    )
    if view.listing_status not in ("ACTIVE", "CREATING"):
        raise BadInput(f"{view.name} is not published.")
    invocation.respond(
        response_type="ephemeral", text=f"Unpublish {view.name}?", blocks=blocks.preview_card(view, publish=False)
    )


def redshift(publishing: Publishing, invocation: Invocation) -> None:
    """Register a Redshift schema (or some of its tables and views) and run the data source."""
    args = parse(RedshiftArgs, invocation.args, USAGE["redshift"])
    registration = Registration(
        kind="REDSHIFT",
        cluster=args.cluster,
        database=args.database,
        schemas=(SchemaFilter(args.schema_name, args.tables),),
    )
    scope = f"Schema `{args.schema_name}`: " + (", ".join(f"`{t}`" for t in args.tables) or "all tables and views")
    _register(publishing, invocation, registration, scope)


def glue(publishing: Publishing, invocation: Invocation) -> None:
    """Register a Glue database (or some of its tables) and run the data source."""
    args = parse(GlueArgs, invocation.args, USAGE["glue"])
    registration = Registration(kind="GLUE", database=args.database, schemas=(SchemaFilter("", args.tables),))
    scope = "Tables: " + (", ".join(f"`{t}`" for t in args.tables) or "all")
    _register(publishing, invocation, registration, scope)


def _register(publishing: Publishing, invocation: Invocation, registration: Registration, scope: str) -> None:
    user = invocation.command.user_id
    channel = invocation.command.channel_id or publishing.project_channel(publishing.producer_project())
    outcome = publishing.register(registration, user, channel, scope)
    invocation.respond(
        response_type="ephemeral",
        text=f"Started run `{outcome.run_id}` of {registration.source_name}; progress is in the card's thread.",
    )


def status(publishing: Publishing, invocation: Invocation) -> None:
    """A run's status, counts and failed tables."""
    args = parse(RunArgs, invocation.args, USAGE["status"])
    domain = publishing.domain()
    view = publishing.runs.view(domain, args.run_id)
    invocation.respond(
        response_type="ephemeral",
        text=blocks.run_text(view),
        blocks=blocks.run_summary(view, domain, gate=not publishing.policy.publish_on_import),
    )
