"""Slack side of /protein: search by id or sequence, database info, and the Home tab summary."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.authz import anyone
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput, OpsbotError
from bot.registry import Registry
from bot.replies import upload_to_dm
from bot.settings import Settings
from handlers.proteins import blocks
from handlers.proteins.executors import make_executor
from handlers.proteins.query import parse_command
from handlers.proteins.service import ProteinService, search_defaults


def router(search: Handler | None = None, info: Handler | None = None) -> CommandRouter:
    """/protein and its forms; the handlers are bound to the service at registration."""
    return CommandRouter(
        command="/protein",
        summary="nearest proteins in the embedding database",
        fallback=Subcommand(
            "",
            "nearest proteins to a stored protein or an amino-acid sequence",
            anyone,
            "<protein-id | sequence> [k=N] [nprobes=N] [refine=N]",
            handler=search,
        ),
        subcommands=[Subcommand("info", "buckets, rows, index and embedder", anyone, handler=info)],
    )


ROUTER = router()


def _send_privately(invocation: Invocation, filename: str, content: str, label: str, hits: int) -> None:
    """The CSV goes to the asker's DM with opsbot: the answer was only for them, so the file is too."""
    upload_to_dm(
        invocation.client,
        invocation.command.user_id,
        content=content,
        filename=filename,
        title=f"{blocks.nearest(hits)} to {label}",
        initial_comment=f"The nearest proteins to `{label}`, as you asked.",
    )


def build_service(settings: Settings) -> ProteinService | None:
    """The service for OPSBOT_PROTEIN_DB, or None when no database is configured."""
    if not settings.protein_db:
        return None
    return ProteinService(
        settings.protein_db,
        storage_options=settings.protein_storage,
        embedder=settings.protein_embedder,
        cache_mb=settings.protein_cache_mb,
        defaults=search_defaults(settings),
        executor=make_executor(settings.protein_executor, address=settings.protein_ray_address),
    )


def _configured(service: ProteinService | None) -> ProteinService:
    if service is None:
        raise BadInput("opsbot has no protein database yet: an admin sets OPSBOT_PROTEIN_DB.")
    return service


def search(service: ProteinService | None, invocation: Invocation) -> None:
    """Say "searching" at once, then replace it with the table (and a CSV when k is large)."""
    proteins = _configured(service)
    query, options = parse_command(invocation.args)
    params = proteins.params(options)
    buckets = len(proteins.info().buckets)
    invocation.respond(response_type="ephemeral", text=blocks.searching(query.label, buckets, params.k))
    try:
        result = proteins.search(query, options)
    except OpsbotError as error:
        # Replace the "searching" line rather than leave it hanging above the explanation.
        invocation.respond(response_type="ephemeral", replace_original=True, text=f":warning: {error.message}")
        return
    csv_name, upload_error = None, None
    if len(result.hits) > blocks.INLINE_HITS:
        csv_name = f"proteins-near-{query.value[:24] if query.kind == 'id' else 'sequence'}.csv"
        try:
            _send_privately(invocation, csv_name, blocks.results_csv(result), query.label, len(result.hits))
        except SlackApiError as error:
            csv_name, upload_error = None, error.response.get("error")
    invocation.respond(
        response_type="ephemeral",
        replace_original=True,
        text=f"{blocks.nearest(len(result.hits))} to {query.label}",
        blocks=blocks.results(result, csv_name),
    )
    if upload_error:
        invocation.respond(
            response_type="ephemeral",
            text=f":warning: The CSV of all {len(result.hits)} could not be sent to you ({upload_error}).",
        )


def info(service: ProteinService | None, invocation: Invocation) -> None:
    """Buckets, rows, dimension, index parameters and embedder."""
    details = _configured(service).info(fresh=True)
    invocation.respond(response_type="ephemeral", text="Protein database", blocks=blocks.info(details))


def home_section(service: ProteinService | None, _user_id: str) -> list[dict[str, Any]]:
    """The database's summary on the Home tab, the same for every user."""
    return blocks.home(service.info() if service else None)


def register(registry: Registry) -> None:
    """Register /protein and the Home tab section, over the one service built here."""
    service = build_service(registry.kernel.settings)
    registry.command(router(partial(search, service), partial(info, service)))
    registry.home_section("Protein search", partial(home_section, service))
