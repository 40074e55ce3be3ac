"""Running the bot: Socket Mode or HTTP mode, with a graceful stop on SIGTERM."""

from __future__ import annotations

import gc
import signal
from collections.abc import Sequence

import structlog
import uvicorn

from bot.app import build_app
from bot.capability import Capability, names
from bot.deps import build_deps
from bot.health import Health, connection_check
from bot.http import build_http_app
from bot.inbox.consumer import SqsConsumer
from bot.inbox.service import build_inbox
from bot.settings import Mode, Settings
from bot.socket_mode import CheckedSocketModeHandler
from scheduler import bound_tasks, build_scheduler, register_jobs
from scheduler.leader import LeaderElection
from scheduler.lease import Lease, replica_id

log = structlog.get_logger(__name__)

# Slack gives up on an answer after 3 s; twenty seconds lets every request in flight finish.
GRACEFUL_SECONDS = 20


class _Stopped(Exception):
    """Raised by the signal handler uvicorn hands the signal back to after its own shutdown."""


def _raise_stopped(signum: int, _frame: object) -> None:
    raise _Stopped(signal.Signals(signum).name)


def run(settings: Settings, mode: Mode, capabilities: Sequence[Capability], port: int | None = None) -> None:
    """Start the bot with `capabilities` and block until SIGTERM or SIGINT; then drain and stop every part."""
    settings.require(mode)
    deps = build_deps(settings)
    scheduler = build_scheduler(deps.db, bound_tasks(deps, capabilities))
    deps.jobs.attach(scheduler)
    election = LeaderElection(Lease(deps.db, "scheduler", replica_id(), settings.scheduler_lease_seconds), scheduler)
    socket_handler = None
    consumer = None
    health = Health()
    try:
        deps.db.migrate(capabilities)
        # Work whose process died (this one's last life, or another replica's) is settled, not left running.
        for capability in capabilities:
            capability.recover(deps.kernel)
        app = build_app(settings, deps, capabilities)
        jobs = register_jobs(scheduler, deps, capabilities)
        # Every replica registers the jobs; only the lease holder's scheduler runs them.
        election.start()
        if mode == "socket":
            app_token = settings.app_token
            socket_handler = CheckedSocketModeHandler(app, app_token, metrics=deps.metrics)
            socket_handler.connect()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
            health.add("socket_mode", connection_check(socket_handler.client.is_connected))
        inbox = build_inbox(deps)
        if settings.events_queue_url:
            consumer = SqsConsumer(
                deps.aws.client("sqs"),
                settings.events_queue_url,
                inbox,
                deps.metrics,
                wait_seconds=settings.sqs_wait_seconds,
            )
            consumer.start()
            health.add("consumer", consumer.liveness.problem)
        # In Socket Mode the server still answers /healthz and /metrics for the orchestrator.
        http_app = build_http_app(deps, app if mode == "http" else None, inbox if mode == "http" else None)
        http_app.state.health = health
        server = uvicorn.Server(
            uvicorn.Config(
                http_app,
                host=settings.host,
                port=port or settings.port,
                log_config=None,
                lifespan="off",
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
            )
        )
        # Start-up leaves a large heap of objects that live as long as the process (botocore models, Bolt,
        # SQLAlchemy). Freezing them keeps full collections from walking it: without this, a gen-2
        # collection stalls every request in flight for ~100 ms (bench/ack_latency.py shows it).
        gc.collect()
        gc.freeze()
        log.info(
            "opsbot_started",
            capabilities=names(capabilities),
            mode=mode,
            port=port or settings.port,
            jobs=jobs,
            events_queue=bool(consumer),
        )
        _serve(server)
    finally:
        if consumer is not None:
            consumer.stop()
        if socket_handler is not None:
            socket_handler.close()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
        election.stop()
        deps.close()
        log.info("opsbot_stopped", mode=mode)


def _serve(server: uvicorn.Server) -> None:
    # uvicorn drains requests on SIGTERM/SIGINT, then re-raises the signal to the handler that was
    # installed before it; ours turns that into an orderly return.
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    except _Stopped as stopped:
        log.info("opsbot_stopping", signal=str(stopped))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
