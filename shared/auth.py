"""Bearer JWTs: who is calling, in what role and jurisdiction; Ed25519 only, issuer and audience pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, ValidationError

ALGORITHMS = ["EdDSA"]  # pinned: a token naming any other algorithm (or "none") is refused


class Role(StrEnum):
    OPERATOR = "operator"          # hotline operator
    DISPATCHER = "dispatcher"      # linkage centre
    UNIT_STAFF = "unit_staff"
    SUPERVISOR = "supervisor"
    RESIDENT_SUPERVISOR = "resident_supervisor"
    LEADER = "leader"
    PARTNER = "partner"
    ADMIN = "admin"
    SERVICE = "service"            # another gridlink service acting by itself (notification fetching numbers to text)


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    jurisdiction: str
    unit_id: str | None = None


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not ours. The message is safe to return."""


class TokenVerifier:
    def __init__(self, public_key_pem: str, *, issuer: str, audience: str):
        self._key = serialization.load_pem_public_key(public_key_pem.encode())
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key, algorithms=ALGORITHMS, issuer=self._issuer, audience=self._audience,
                                options={"require": ["exp", "iat", "iss", "aud", "sub", "role", "jurisdiction"]})
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("token not valid") from exc
        try:
            return Principal(subject=claims["sub"], role=claims["role"], jurisdiction=claims["jurisdiction"],
                             unit_id=claims.get("unit"))
        except ValidationError as exc:
            raise InvalidToken("token claims not valid") from exc


def issue_token(private_key_pem: str, *, role: Role, jurisdiction: str, unit_id: str | None = None,
                subject: str | None = None, issuer: str = "gridlink", audience: str = "gridlink",
                ttl: timedelta = timedelta(hours=12)) -> str:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    now = datetime.now(UTC)
    claims = {"sub": subject or f"{role}:{uuid4().hex[:8]}", "role": str(role), "jurisdiction": jurisdiction,
              "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl, "jti": uuid4().hex}
    if unit_id:
        claims["unit"] = unit_id
    return jwt.encode(claims, key, algorithm="EdDSA")


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem
