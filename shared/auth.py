"""Bearer JWTs: who is calling, in what role and jurisdiction; Ed25519 only, issuer and audience pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from shared.scopes import AREA_LEVELS, within

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
    """Who calls: a subject in a role, working in a scope of the jurisdiction tree.

    ``scope`` is the path from the district down to the area the caller works in (district, street, community or
    grid): a district's staff see the whole district, a street's its communities and grids, never a neighbour's.
    """

    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    jurisdiction: str
    unit_id: str | None = None
    scope: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _scope_starts_at_the_district(self) -> Principal:
        if not self.scope:
            object.__setattr__(self, "scope", (self.jurisdiction,))
        if self.scope[0] != self.jurisdiction or len(self.scope) > len(AREA_LEVELS):
            raise ValueError("the scope must run from the jurisdiction down, at most to a grid")
        return self

    @property
    def scope_level(self) -> str:
        """district, street, community or grid."""
        return AREA_LEVELS[len(self.scope) - 1]

    @property
    def scope_area(self) -> str:
        """The area the caller works in (the last of the scope path)."""
        return self.scope[-1]

    def covers(self, area_ids) -> bool:
        """Whether a record lying at ``area_ids`` is within the caller's scope (see ``within``)."""
        return within(self.scope, area_ids)


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
        areas = claims.get("areas") or []
        if not isinstance(areas, list) or not all(isinstance(area, str) and area for area in areas):
            raise InvalidToken("token claims not valid")
        try:
            return Principal(subject=claims["sub"], role=claims["role"], jurisdiction=claims["jurisdiction"],
                             unit_id=claims.get("unit"), scope=tuple(areas))
        except ValidationError as exc:
            raise InvalidToken("token claims not valid") from exc


def issue_token(private_key_pem: str, *, role: Role, jurisdiction: str, unit_id: str | None = None,
                subject: str | None = None, issuer: str = "gridlink", audience: str = "gridlink",
                ttl: timedelta = timedelta(hours=12), scope: tuple[str, ...] | list[str] | None = None) -> str:
    """A signed token; ``scope`` is the caller's area path from the district down (none: the whole district)."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    now = datetime.now(UTC)
    claims = {"sub": subject or f"{role}:{uuid4().hex[:8]}", "role": str(role), "jurisdiction": jurisdiction,
              "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl, "jti": uuid4().hex}
    if unit_id:
        claims["unit"] = unit_id
    if scope:
        claims["areas"] = list(scope)
    return jwt.encode(claims, key, algorithm="EdDSA")


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem
