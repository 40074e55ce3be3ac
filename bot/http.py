"""The HTTP surface: Slack events, health and metrics, as a Starlette app."""

from __future__ import annotations

import time

import structlog
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bolt_request import bolt_request
from bot.bounded_body import read_body
from bot.deps import Deps
from bot.inbox.service import Inbox
from bot.inbox.sns import CertificateCache
from bot.inbox.sns_http import sns_endpoint
from bot.payloads import MAX_BODY_BYTES, http_body_problem
from bot.slack_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SlackSignature

log = structlog.get_logger(__name__)


def build_http_app(
    deps: Deps, slack_app: App | None, inbox: Inbox | None = None, certificates: CertificateCache | None = None
) -> Starlette:
    """Health and metrics always; `POST /slack/events` with a Bolt app and `POST /aws/sns` with an inbox."""

    secret = deps.settings.slack_signing_secret
    signature = SlackSignature(secret.get_secret_value() if secret else None)

    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        # Authenticate before parsing: size, then signature over the raw bytes; only then the shape check.
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            deps.metrics.slack_requests.labels("oversized", "refused").inc()
            log.warning("slack_request_too_large", content_length=request.headers.get("content-length"))
            return JSONResponse({"error": "request too large"}, status_code=413)
        problem = signature.problem(
            body, request.headers.getlist(TIMESTAMP_HEADER), request.headers.getlist(SIGNATURE_HEADER)
        )
        if problem is not None:
            deps.metrics.slack_requests.labels("unverified", "refused").inc()
            log.warning("unverified_slack_request", problem=problem)
            return JSONResponse({"error": "invalid request"}, status_code=401)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        problem = http_body_problem(body, content_type)
        if problem is not None:
            deps.metrics.slack_requests.labels("malformed", "refused").inc()
            log.warning("malformed_slack_request", problem=problem)
            return JSONResponse({"error": "malformed payload"}, status_code=400)
        # The shape check proved the body UTF-8; Bolt checks the signature again over this same text.
        incoming = bolt_request(body.decode("utf-8"), request.headers, request.url.query)
        # Bolt's dispatch is synchronous (middleware may call Slack); keep it off the event loop.
        # The route is added only with an app (below), so slack_app is never None here.
        bolt_response = await run_in_threadpool(slack_app.dispatch, incoming)  # type: ignore[union-attr]
        deps.metrics.ack_seconds.observe(time.perf_counter() - started)
        if bolt_response.status == 404:
            # Bolt answers 404 to a verified request no listener takes (an event the app is subscribed to but does not
            # handle), and Slack retries anything but a 2xx: acknowledge it, as the Socket Mode handler does.
            log.info("unhandled_slack_request")
            return Response(status_code=200)
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        # 503 names each failing part: the database, and those the runner registers on `app.state.health`
        # (the events consumer, the Socket Mode connection), so an orchestrator replaces a bot that takes no events.
        problems: dict[str, str] = {}
        try:
            await run_in_threadpool(deps.db.ping)
        except Exception as exc:
            log.warning("health_check_failed", part="database", error=str(exc))
            problems["database"] = "unreachable"
        health = getattr(request.app.state, "health", None)
        if health is not None:
            for part, problem in health.problems().items():
                log.warning("health_check_failed", part=part, error=problem)
                problems[part] = problem
        if problems:
            return JSONResponse({"status": "unhealthy", **problems}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(_request: Request) -> Response:
        return Response(deps.metrics.render(), media_type=deps.metrics.content_type)

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
    if slack_app is not None:
        routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    if inbox is not None:
        endpoint = sns_endpoint(inbox, deps.metrics, deps.settings.topics, certificates)
        routes.append(Route("/aws/sns", endpoint, methods=["POST"]))
    return Starlette(routes=routes)
