"""SNS over HTTPS: signature verification (versions 1 and 2), topic allow-list, subscription confirmation."""

from __future__ import annotations

import base64
import re
import threading
import urllib.request
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

_SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
# Every name-value pair SNS documents for HTTP/HTTPS deliveries is a string:
# https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
# .../http-subscription-confirmation-json.html and .../http-unsubscribe-confirmation-json.html.
_STRING_FIELDS = (
    "Type",
    "MessageId",
    "Token",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
    "SubscribeURL",
    "UnsubscribeURL",
)
_SNS_HOST = re.compile(r"^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$")
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


class SnsRejected(Exception):
    """The message is not provably from SNS, or not from a topic we expect."""


def envelope_problem(message: object) -> str | None:
    """Why a decoded body cannot be an SNS delivery at all (not an object, a field not a string), or None."""
    if not isinstance(message, dict):
        return "body is not a JSON object"
    for key in ("Type", "TopicArn"):
        if key not in message:
            return f"{key} is missing"
    for key in _STRING_FIELDS:
        if key in message and not isinstance(message[key], str):
            return f"{key} must be a string"
    return None


def string_to_sign(message: dict[str, Any]) -> bytes:
    """SNS's canonical string: `Key\\nValue\\n` for each signed key present, in order."""
    keys = _SIGNED_KEYS[message["Type"]]
    return "".join(f"{key}\n{message[key]}\n" for key in keys if key in message).encode()


def _sns_url(url: object, what: str) -> str:
    if not isinstance(url, str):
        raise SnsRejected(f"{what} is missing")
    parts = urlsplit(url)
    if parts.scheme != "https" or not _SNS_HOST.match(parts.hostname or ""):
        raise SnsRejected(f"{what} is not an https URL on an SNS host: {url}")
    return url


class CertificateCache:
    """Fetches SNS signing certificates over HTTPS, once per URL."""

    def __init__(self, fetch: Callable[[str], bytes] | None = None) -> None:
        self._fetch = fetch or _https_get
        self._keys: dict[str, RSAPublicKey] = {}
        self._lock = threading.Lock()

    def public_key(self, url: str) -> RSAPublicKey:
        """The RSA public key of the certificate at `url`."""
        with self._lock:
            if url not in self._keys:
                key = x509.load_pem_x509_certificate(self._fetch(url)).public_key()
                if not isinstance(key, RSAPublicKey):
                    raise SnsRejected("signing certificate is not RSA")
                self._keys[url] = key
            return self._keys[url]


def _https_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


def verify(message: dict[str, Any], certificates: CertificateCache, topics: Collection[str]) -> None:
    """Raise SnsRejected unless `message` is signed by SNS and comes from one of `topics`."""
    problem = envelope_problem(message)
    if problem is not None:
        raise SnsRejected(problem)
    kind = message["Type"]
    if kind not in _SIGNED_KEYS:
        raise SnsRejected(f"unknown message type {kind[:64]!r}")
    if message["TopicArn"] not in topics:
        raise SnsRejected(f"unexpected topic {message['TopicArn'][:256]!r}")
    hash_type = _HASHES.get(str(message.get("SignatureVersion")))
    if hash_type is None:
        raise SnsRejected("unsupported SignatureVersion")
    cert_url = _sns_url(message.get("SigningCertURL"), "SigningCertURL")
    if not urlsplit(cert_url).path.endswith(".pem"):
        raise SnsRejected("SigningCertURL does not name a .pem certificate")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except ValueError:
        raise SnsRejected("signature is not base64") from None
    try:
        key = certificates.public_key(cert_url)
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), hash_type())
    except InvalidSignature:
        raise SnsRejected("signature does not verify") from None
    except (OSError, ValueError) as exc:
        raise SnsRejected(f"signing certificate unusable: {exc}") from None


def subscribe_url(message: dict[str, Any]) -> str:
    """The SubscribeURL of a confirmation, checked to be SNS's own."""
    return _sns_url(message.get("SubscribeURL"), "SubscribeURL")
