"""/catalog's forms: search (the text itself), `show <asset>`, `request <asset> [project=<name>] <reason>`."""

from __future__ import annotations

from collections.abc import Callable

from bot import paging
from bot.arguments import AssetArgs, parse
from bot.authz import anyone
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput
from handlers.catalog import ids, render
from handlers.catalog.arguments import parse_request, parse_search
from handlers.catalog.blocks import plain
from handlers.catalog.ports import Ports
from handlers.catalog.requesters import mapped_consumer, pick, projects_for

COMMAND = "/catalog"
SEARCH_ARGS = "<text> [term:<glossary term>] [class:<classification>] [project:<owning project>] [page=N]"
REQUEST_ARGS = "<asset> [project=<name>] <reason>"


def router(handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/catalog and its forms; the handlers are bound to the ports at registration."""
    bound = handlers or {}
    return CommandRouter(
        command=COMMAND,
        summary="find published data and ask for access",
        fallback=Subcommand("", "published data matching the text and filters", anyone, SEARCH_ARGS, bound.get("")),
        subcommands=[
            Subcommand("show", "one published asset in full", anyone, "<asset>", bound.get("show")),
            Subcommand(
                "request", "ask for access for your project", mapped_consumer, REQUEST_ARGS, bound.get("request")
            ),
        ],
    )


def _usage(name: str) -> str:
    return router().form(name).usage(COMMAND) if name else f"{COMMAND} {SEARCH_ARGS}"


def search(ports: Ports, inv: Invocation) -> None:
    """Listings matching the text and filters, a page at a time."""
    usage = _usage("")
    text, page = paging.take_page(inv.args, usage)
    args = parse_search(text, usage)
    if args.is_empty():
        raise BadInput(f"Say what to look for.\nUsage: `{usage}`")
    state = ids.SearchState(text=args.text, term=args.term, classification=args.classification, project=args.project)
    window_of: Callable[[int], paging.Window] = lambda total: paging.Window.numbered(  # noqa: E731
        page, render.PAGE_SIZE, total, command=f"{COMMAND} {text}", noun=render.NOUN
    )
    summary, blocks = render.results(ports, state, window_of)
    inv.respond(response_type="ephemeral", text=summary, blocks=blocks)


def show(ports: Ports, inv: Invocation) -> None:
    """One listing in full, with where the caller's projects stand."""
    args = parse(AssetArgs, inv.args, _usage("show"))
    listing = ports.service.listing(ports.domain(), args.asset)
    text, blocks = render.detail(ports, inv.command.user_id, listing)
    inv.respond(response_type="ephemeral", text=text, blocks=blocks)


def request(ports: Ports, inv: Invocation) -> None:
    """Ask DataZone for access for one of the caller's projects; the request then goes through intake as any."""
    usage = _usage("request")
    args = parse_request(inv.args, usage)
    user = inv.command.user_id
    domain = ports.domain()
    listing = ports.service.listing(domain, args.asset)
    project = pick(projects_for(ports, user, listing, "catalog.request"), args.project, usage)
    request_id = ports.service.request(domain, listing, project, args.reason, user)
    ports.audit.record(
        actor=user,
        action="catalog.request",
        target=listing.listing_id,
        result="ok",
        detail={"request": request_id, "project": project.id},
    )
    inv.respond(response_type="ephemeral", text=requested(request_id, listing.name, project.name))


def requested(request_id: str, asset: str, project: str) -> str:
    """What the requester is told once DataZone has the request."""
    return (
        f":inbox_tray: Asked for *{plain(asset)}* for {plain(project)}: request `{request_id}` is in DataZone. "
        "Its owners decide, in DataZone or in Slack, unless the policy approves it at once."
    )
