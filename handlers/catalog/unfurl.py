"""Link previews: a pasted DataZone (or SageMaker Unified Studio) portal link to an asset or listing unfurls into
the listing's card, with Request access.

Slack sends `link_shared` (https://docs.slack.dev/reference/events/link_shared) for links on the app's unfurl
domains; `chat.unfurl` (https://docs.slack.dev/reference/methods/chat.unfurl) answers with `channel` and `ts`
(which Slack says always work, even for a link still in the composer) and `unfurls`, a map from each URL to its
blocks. The portal's URL layout is not published: an id is read from an `assets/<id>` or `listings/<id>` path
pair, or an `assetId` / `listingId` query parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import structlog
from slack_sdk import WebClient

from bot.errors import NotFound
from handlers.catalog import blocks, render
from handlers.catalog.listings import Listing
from handlers.catalog.ports import Ports

log = structlog.get_logger(__name__)

ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")
_PATH_KINDS: dict[str, Literal["asset", "listing"]] = {
    "asset": "asset",
    "assets": "asset",
    "listing": "listing",
    "listings": "listing",
}
_QUERY_KINDS: dict[str, Literal["asset", "listing"]] = {"assetId": "asset", "listingId": "listing"}
# Slack unfurls a handful of links a message; more are someone pasting a list.
MAX_LINKS = 5


@dataclass(frozen=True)
class PortalRef:
    """What a portal link points at: an asset or a listing, by id."""

    kind: Literal["asset", "listing"]
    id: str


def portal_ref(url: Any, host: str) -> PortalRef | None:
    """The asset or listing a link on the portal `host` names; None for anything else."""
    if not isinstance(url, str) or len(url) > 3000:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != host.lower():
        return None
    segments = [s for s in parts.path.split("/") if s]
    for here, after in pairwise(segments):
        kind = _PATH_KINDS.get(here.lower())
        if kind and ID.fullmatch(after):
            return PortalRef(kind, after)
    query = parse_qs(parts.query)
    for name, kind in _QUERY_KINDS.items():
        for value in query.get(name, []):
            if ID.fullmatch(value):
                return PortalRef(kind, value)
    return None


def _listing(ports: Ports, ref: PortalRef) -> Listing | None:
    try:
        if ref.kind == "listing":
            return ports.service.by_listing_id(ports.domain(), ref.id)
        return ports.service.listing(ports.domain(), ref.id)
    except NotFound:
        return None  # an unpublished asset, or one gone: Slack's own preview stays


def link_shared(ports: Ports, event: dict[str, Any], client: WebClient) -> None:
    """Unfurl the event's portal links that name a published asset into its card."""
    host = ports.settings.datazone_portal_host
    links = event.get("links")
    if not host or not ports.settings.datazone_domain_id or not isinstance(links, list):
        return
    found: dict[str, Listing] = {}
    for link in links[:MAX_LINKS]:
        url = link.get("url") if isinstance(link, dict) else None
        ref = portal_ref(url, host)
        listing = _listing(ports, ref) if ref else None
        if listing is not None and isinstance(url, str):
            found[url] = listing
    if not found:
        return
    owners = render.owner_names(ports, list(found.values()))
    unfurls = {
        url: {"blocks": blocks.card(listing, owners.get(listing.owner_project_id, listing.owner_project_id))}
        for url, listing in found.items()
    }
    client.chat_unfurl(channel=str(event.get("channel")), ts=str(event.get("message_ts")), unfurls=unfurls)
    log.info("catalog_unfurled", links=len(unfurls))
