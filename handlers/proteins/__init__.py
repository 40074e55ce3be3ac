"""Protein similarity search over bucketed LanceDB embeddings."""

from bot.aws import AwsClients
from bot.capability import Capability
from bot.doctor_resources import Finding
from bot.settings import Settings
from handlers.proteins.doctor import check_proteins
from handlers.proteins.listeners import register
from handlers.proteins.threads import configure_lance_threads

# On import of the package, so before any of its modules opens a table: Lance reads its thread count once
# per process, at its first operation (importing lancedb is not one).
configure_lance_threads()


def doctor(settings: Settings, _aws: AwsClients) -> list[Finding]:
    """The protein database opens and holds buckets."""
    return [check_proteins(settings)]


CAPABILITY = Capability("proteins", register=register, doctor=doctor)

__all__ = ["CAPABILITY", "register"]
