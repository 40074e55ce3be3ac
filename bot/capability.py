"""The contract every capability keeps: the one shape the kernel knows, so it never names a capability.

A capability package (handlers/<name>/) exposes one `Capability`; the composition root (opsbot/capabilities.py)
lists them, and the app, the scheduler, the runner and doctor iterate over that list. Adding a capability is
its folder and one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the contract names the kernel's types; importing them here would cycle through bot.kernel
    from apscheduler.schedulers.base import BaseScheduler

    from bot.aws import AwsClients
    from bot.doctor_probes import Probes
    from bot.doctor_resources import Finding
    from bot.kernel import Kernel
    from bot.registry import Registry
    from bot.settings import Settings
    from scheduler.tasks import Task


def _nothing_to_register(_registry: Registry) -> None:
    return None


def _no_tasks(_kernel: Kernel) -> Mapping[str, Task]:
    return {}


def _no_jobs(_scheduler: BaseScheduler, _settings: Settings) -> list[str]:
    return []


def _nothing_to_recover(_kernel: Kernel) -> None:
    return None


def _nothing_to_check(_settings: Settings, _aws: AwsClients) -> list[Finding]:
    return []


@dataclass(frozen=True)
class Capability:
    """What one capability brings to the bot; every part but the name is optional."""

    name: str
    # Its Slack listeners, authorisation rules, event routes, Home section and background workers, on the registry.
    register: Callable[[Registry], None] = _nothing_to_register
    # The named tasks its stored jobs run, bound to this process's kernel (scheduler/tasks.py says why by name).
    tasks: Callable[[Kernel], Mapping[str, Task]] = _no_tasks
    # Its periodic jobs, added at every start (unchanged stored ones are kept); returns their ids.
    jobs: Callable[[BaseScheduler, Settings], list[str]] = _no_jobs
    # Start-up recovery before anything is served: work whose process died is settled, not left running.
    recover: Callable[[Kernel], None] = _nothing_to_recover
    # `opsbot doctor`'s checks of the resources it needs, beyond the AWS permissions.
    doctor: Callable[[Settings, AwsClients], list[Finding]] = _nothing_to_check
    # A harmless probe of every IAM action its code calls (bot/doctor_probes.py); a test keeps the list complete.
    probes: Probes = ()
    # The IAM reads only its doctor checks make (bot/doctor_resources.doctor_read); the deployment policy grants them.
    doctor_reads: frozenset[str] = frozenset()
    # Its own Alembic versions folder (handlers/<name>/migrations/), on a branch named after it (bot/db.py says how).
    migrations: Path | None = None


def names(capabilities: Sequence[Capability]) -> list[str]:
    """The capabilities' names, in order (for logs)."""
    return [capability.name for capability in capabilities]
