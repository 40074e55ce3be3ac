"""Signing SNS messages as SNS does, with a throwaway key and certificate, for tests and the sandbox."""

from __future__ import annotations

import base64
import datetime
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from bot.inbox.sns import string_to_sign

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-sandbox.pem"


class SnsSigner:
    """Holds an RSA key and a self-signed certificate, and signs notifications with them."""

    def __init__(self, cert_url: str = CERT_URL) -> None:
        self.cert_url = cert_url
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(self._key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        """The message with SignatureVersion, SigningCertURL and Signature set."""
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        signed = {**message, "SignatureVersion": version, "SigningCertURL": self.cert_url}
        signature = self._key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        return {**signed, "Signature": base64.b64encode(signature).decode()}

    def notification(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        message_id: str | None = None,
        version: str = "2",
    ) -> dict[str, Any]:
        """A signed Notification as SNS delivers it over HTTPS (and, unsigned-raw off, into SQS)."""
        body = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Message": message,
            "Timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        }
        if subject is not None:
            body["Subject"] = subject
        return self.sign(body, version)
