"""The buttons of a listing's card (Show, Request access) and of a page of results."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot import paging
from bot.errors import BadInput, OpsbotError
from bot.registry import Interaction
from handlers.catalog import blocks, ids, render
from handlers.catalog.blocks import plain
from handlers.catalog.ports import Ports
from handlers.catalog.requesters import projects_for


def clicked_listing(body: dict[str, Any]) -> ids.ListingRef:
    """The listing the clicked button names; BadInput for a button this opsbot cannot read."""
    raw = ((body.get("actions") or [{}])[0] or {}).get("value")
    try:
        return ids.ListingRef.model_validate_json(raw if isinstance(raw, str) else "")
    except ValidationError:
        raise BadInput("That button is from an older opsbot; run `/catalog` again.") from None


def show(ports: Ports, interaction: Interaction) -> None:
    """Show: the listing in full, below the card."""
    ref = clicked_listing(interaction.body)
    listing = ports.service.by_listing_id(ports.domain(), ref.listing_id)
    text, shown = render.detail(ports, interaction.user_id, listing)
    interaction.respond(response_type="ephemeral", replace_original=False, text=text, blocks=shown)


def request(ports: Ports, interaction: Interaction) -> None:
    """Request access: the modal to pick one of the caller's projects and say why (or why they cannot ask)."""
    ref = clicked_listing(interaction.body)
    # Slack's trigger_id lasts three seconds, less than DataZone's reads may take: open at once, fill in after.
    loading = blocks.message_modal("Request access", f"Looking up your DataZone projects for *{plain(ref.name)}*…")
    shown = interaction.client.views_open(trigger_id=interaction.body["trigger_id"], view=loading)["view"]
    try:
        listing = ports.service.by_listing_id(ports.domain(), ref.listing_id)
        projects = projects_for(ports, interaction.user_id, listing, "catalog.request")
        final = blocks.request_modal(listing, projects)
    except OpsbotError as exc:
        final = blocks.message_modal("Request access", exc.message)
    except Exception:
        # The registry reports it (with an error id) as it does every failure; the modal must not stay loading.
        final = blocks.message_modal("Request access", ":x: Something went wrong; opsbot says more in this channel.")
        interaction.client.views_update(view_id=shown["id"], hash=shown["hash"], view=final)
        raise
    interaction.client.views_update(view_id=shown["id"], hash=shown["hash"], view=final)


def page(ports: Ports, interaction: Interaction) -> None:
    """Previous or Next page: the search again, from where the button's page starts, in place of the old page."""
    state = ids.PAGES.state(ids.SearchState, interaction.body, "/catalog")

    def window_of(total: int) -> paging.Window:
        return paging.Window.at(state.offset, render.PAGE_SIZE, total)

    text, shown = render.results(ports, state, window_of)
    interaction.respond(response_type="ephemeral", replace_original=True, text=text, blocks=shown)
