"""Protein similarity search over bucketed LanceDB embeddings."""

from bot.aws import AwsClients
from bot.capability import Capability
from bot.doctor_resources import Finding
from bot.settings import Settings
from handlers.proteins.doctor import check_proteins
from handlers.proteins.listeners import register


def doctor(settings: Settings, _aws: AwsClients) -> list[Finding]:
    """The protein database opens and holds buckets."""
    return [check_proteins(settings)]


CAPABILITY = Capability("proteins", register=register, doctor=doctor)

__all__ = ["CAPABILITY", "register"]
