"""The preview card's buttons: confirm (or override, for admins) publishing or unpublishing, cancel, and a
run's link to the preview of an asset it created."""

from __future__ import annotations

from slack_bolt import Respond

from bot.errors import OpsbotError
from bot.registry import Interaction
from handlers.publishing import blocks, ids
from handlers.publishing.catalog import CatalogService
from handlers.publishing.workflow import Publishing


def confirm(publishing: Publishing, catalog: CatalogService, interaction: Interaction) -> None:
    """Publish (or unpublish) the asset the card is about, unless governance fields are missing."""
    _decide(publishing, catalog, interaction, override=False)


def override(publishing: Publishing, catalog: CatalogService, interaction: Interaction) -> None:
    """An admin publishes despite missing governance fields; the audit log says which."""
    _decide(publishing, catalog, interaction, override=True)


def _decide(publishing: Publishing, catalog: CatalogService, interaction: Interaction, *, override: bool) -> None:
    ref = ids.AssetRef.model_validate_json(interaction.body["actions"][0]["value"])
    _publish(publishing, catalog, ref, interaction.user_id, override, interaction.respond)


def _publish(
    publishing: Publishing, catalog: CatalogService, ref: ids.AssetRef, user: str, override: bool, respond: Respond
) -> None:
    audit = publishing.audit
    action = "publishing.publish" if ref.publish else "publishing.unpublish"
    try:
        is_owner = publishing.owners.require(audit, user, ref.domain, ref.owner, action, ref.asset)
    except OpsbotError as refused:
        respond(replace_original=False, response_type="ephemeral", text=refused.message)
        return
    view = catalog.preview(ref.domain, ref.asset)
    if ref.publish and view.missing and not override:
        respond(replace_original=True, text="Blocked.", blocks=blocks.preview_card(view, publish=True))
        return
    detail: dict[str, object] = {} if is_owner else {"as": "admin"}
    if ref.publish and view.missing:
        detail = {"as": "admin", "override": True, "missing": list(view.missing)}
        audit.record(actor=user, action="publishing.override", target=ref.asset, result="ok", detail=detail)
    verb = "Publishing" if ref.publish else "Unpublishing"
    respond(replace_original=True, text=f"{verb} {view.name}…", blocks=blocks.outcome(view.name, f"{verb.lower()}…"))
    try:
        catalog.change(ref.domain, ref.asset, ref.publish)
    except OpsbotError as refused:
        audit.record(
            actor=user, action=action, target=ref.asset, result="failed", detail={**detail, "reason": refused.message}
        )
        respond(replace_original=True, text=refused.message, blocks=blocks.outcome(view.name, refused.message))
        return
    final = catalog.follow(ref.domain, ref.asset)
    wanted = "ACTIVE" if ref.publish else "INACTIVE"
    ok = final == wanted
    # What DataZone ended at, beside the way it went: a listing left FAILED (or still CREATING) is a failed change.
    audit.record(
        actor=user,
        action=action,
        target=ref.asset,
        result="ok" if ok else "failed",
        detail={**detail, "status": final, **({} if ok else {"reason": f"DataZone's listing ended {final}"})},
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


def cancel(interaction: Interaction) -> None:
    """Drop the card."""
    interaction.respond(delete_original=True)


def open_preview(catalog: CatalogService, interaction: Interaction) -> None:
    """A run created an asset: its preview, for the one who clicked."""
    ref = ids.PreviewRef.model_validate_json(interaction.body["actions"][0]["value"])
    view = catalog.preview(ref.domain, ref.asset)
    interaction.respond(
        replace_original=False,
        response_type="ephemeral",
        text=blocks.preview_title(view, True),
        blocks=blocks.preview_card(view, publish=True),
    )
