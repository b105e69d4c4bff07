"""What Pub/Sub does to a push: an OIDC token in `Authorization`, signed with a key whose certificate
Google serves at /oauth2/v1/certs. The sandbox signs its Gmail pushes the same way with a key of its own,
so that google-mcp's verification runs for real against it."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ISSUER = "https://accounts.google.com"
SERVICE_ACCOUNT = "gmail-push@sandbox-project.iam.gserviceaccount.com"


def self_signed(key: Any, name: str, ip: str | None = None, dns: str | None = None) -> tuple[str, str]:
    """(private key, certificate), PEM: a certificate of `key` for `name` (and the address `ip`, the host
    name `dns`), valid from yesterday for 30 days — the sandbox's signing key, and the test servers' TLS."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    names: list[x509.GeneralName] = [x509.DNSName(dns)] if dns else []
    names += [x509.IPAddress(ipaddress.ip_address(ip))] if ip else []
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    cert = builder.sign(key, hashes.SHA256())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class PushSigner:
    """One RSA key (made on first use: it costs about 50 ms) with a self-signed certificate."""

    key_id: str = field(default_factory=lambda: secrets.token_hex(20))

    @cached_property
    def _pair(self) -> tuple[str, str]:
        from cryptography.hazmat.primitives.asymmetric import rsa

        return self_signed(rsa.generate_private_key(public_exponent=65537, key_size=2048), "sandbox-pubsub-signer")

    def certs(self) -> dict[str, str]:
        """The body of GET /oauth2/v1/certs: key id -> PEM certificate."""
        return {self.key_id: self._pair[1]}

    def token(self, audience: str, email: str = SERVICE_ACCOUNT, **claims: Any) -> str:
        from google.auth import crypt, jwt

        now = int(time.time())
        payload = {
            "aud": audience,
            "azp": "1234567890",
            "email": email,
            "email_verified": True,
            "exp": now + 3600,
            "iat": now,
            "iss": ISSUER,
            "sub": "1234567890",
            **claims,
        }
        signer = crypt.RSASigner.from_string(self._pair[0], key_id=self.key_id)
        return str(jwt.encode(signer, payload).decode())
