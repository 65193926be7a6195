"""Staff accounts in plain Python: who may sign in (a role and a scope, issue 08's), passwords strong enough, and
the lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.auth import Role

MIN_PASSWORD = 10


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: Role
    jurisdiction: str
    scope: tuple[str, ...]
    unit_id: str | None = None
    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def password_problem(password: str, username: str) -> str | None:
    """Why a password is refused, or None: long enough, not the username, not one repeated character."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if username.lower() in password.lower():
        return "must not contain the username"
    if len(set(password)) < 4:
        return "too few different characters"
    return None


def after_failure(account: Account, now: datetime, *, limit: int, lock_for: timedelta) -> tuple[int, datetime | None]:
    """The failure count and lock after one more wrong password: locked once ``limit`` are reached in a row."""
    failures = account.failures + 1
    return (0, now + lock_for) if failures >= limit else (failures, account.locked_until)


@dataclass(frozen=True)
class ClaimNames:
    """Which claims of an OpenID Connect ID token say a person's role, unit and the area they work in."""

    role: str = "gridlink_role"
    unit: str = "gridlink_unit"
    area: str = "gridlink_area"


def account_from_claims(claims: dict, names: ClaimNames, *, issuer: str, jurisdiction: str,
                        area_path) -> Account | str:
    """The account an identity provider vouches for, or why it cannot sign in: a role the console knows (never the
    services' own), a unit for unit staff, and an area of this jurisdiction (``area_path`` gives its path from the
    district down; none: the whole district). The username is the provider's subject, kept apart from local ones."""
    role = claims.get(names.role)
    try:
        chosen = Role(role)
    except ValueError:
        return "no_role"
    if chosen is Role.SERVICE:
        return "no_role"
    unit = claims.get(names.unit) or None
    if chosen is Role.UNIT_STAFF and not unit:
        return "no_unit"
    area = claims.get(names.area)
    scope = tuple(area_path(area)) if area else (jurisdiction,)
    if not scope or scope[0] != jurisdiction:
        return "outside_jurisdiction"
    display = claims.get("name") or claims.get("preferred_username") or str(claims["sub"])
    return Account(username=f"oidc:{_host(issuer)}:{claims['sub']}"[:100], display_name=str(display)[:100],
                   role=chosen, jurisdiction=jurisdiction, scope=scope, unit_id=unit)


def _host(issuer: str) -> str:
    return issuer.split("://", 1)[-1].split("/", 1)[0]
