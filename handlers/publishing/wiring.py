"""The publishing workflow over the kernel's ports, built once at start by register and by tasks."""

from __future__ import annotations

from bot.kernel import Kernel
from handlers.publishing.owners import Owners
from handlers.publishing.registration import Registrar
from handlers.publishing.runs import RunService
from handlers.publishing.store import RunStore
from handlers.publishing.workflow import Publishing


def build_publishing(kernel: Kernel) -> Publishing:
    """The workflow with its services and stores, holding only the ports it uses."""
    return Publishing(
        runs=RunService(kernel.aws),
        store=RunStore(kernel.db),
        registrar=Registrar(kernel.aws, kernel.settings.aws_region or "us-east-1"),
        owners=Owners(kernel.access, kernel.groups, kernel.aws),
        access=kernel.access,
        audit=kernel.audit,
        messages=kernel.messages,
        background=kernel.background,
        domain_id=kernel.settings.datazone_domain_id,
        admin_channel=kernel.settings.admin_channel,
    )
