"""Who may call which route: each service's role × operation matrix (``api/access.yaml``), the one place roles are
granted, enforced for every route before its handler runs and checked at start-up to cover every route exactly.

An entry is ``public`` (anyone, no token read), ``api_key``, ``certificate``, ``signature`` or ``session`` (the route
checks that credential itself: an Open311 key, a resident supervisor's certificate, a bridge's Standard Webhooks
signature, a console's signed-in session and its account's role), or
the list of roles whose bearer token admits the caller. No role is implied: an administrator is admitted only where
the matrix names ``admin``. Jurisdiction scope is the routes' own check (404 outside), since it depends on the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import Depends, Request
from fastapi.routing import APIRoute, iter_route_contexts

from shared.auth import InvalidToken, Principal, Role
from shared.http.errors import ApiError

PUBLIC, API_KEY, CERTIFICATE, SIGNATURE, SESSION = "public", "api_key", "certificate", "signature", "session"
SELF_CHECKED = (API_KEY, CERTIFICATE, SIGNATURE, SESSION)


@dataclass(frozen=True)
class Access:
    """What admits a caller to one operation."""

    kind: str  # "roles", or PUBLIC or one of SELF_CHECKED
    roles: frozenset[Role] = frozenset()

    @classmethod
    def of(cls, entry) -> Access:
        if entry in (PUBLIC, *SELF_CHECKED):
            return cls(entry)
        if isinstance(entry, list) and entry:
            return cls("roles", frozenset(Role(role) for role in entry))
        raise ValueError(f"an access entry is public, {', '.join(SELF_CHECKED)} or a list of roles, not {entry!r}")

    def admits(self, role: Role | None) -> bool:
        """Whether a caller with this role (None: no token) passes the role check."""
        return self.kind != "roles" or role in self.roles

    def describe(self) -> str:
        return self.kind if self.kind != "roles" else ", ".join(sorted(self.roles))


class AccessMatrix:
    """Operations ("METHOD /path", the path as the route declares it) and who may call them."""

    def __init__(self, entries: Mapping[str, Access]):
        self.entries = dict(entries)
        self._by_route: dict[tuple[int, str], Access] = {}

    @classmethod
    def load(cls, path: Path, extra: Mapping[str, Access] = {}) -> AccessMatrix:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({**{operation: Access.of(entry) for operation, entry in raw.items()}, **extra})

    def bind(self, routes: Iterable) -> None:
        """Attach each entry to its route (as the app has them, prefixes included); refuse to start a service whose
        matrix misses a route or names one that does not exist."""
        operations = set()
        for context in iter_route_contexts(list(routes)):
            if not isinstance(context.original_route, APIRoute):
                continue
            for method in context.methods - {"HEAD"}:
                operation = f"{method} {context.path_format}"
                operations.add(operation)
                if operation in self.entries:
                    self._by_route[id(context.original_route), method] = self.entries[operation]
        missing, stale = sorted(operations - self.entries.keys()), sorted(self.entries.keys() - operations)
        if missing or stale:
            raise RuntimeError(f"the access matrix does not match the routes: no entry for {missing}; "
                               f"entries without a route: {stale}")

    def for_route(self, route: APIRoute, method: str) -> Access:
        return self._by_route[id(route), "GET" if method == "HEAD" else method]


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def enforce_access(request: Request) -> None:
    """Every route's first dependency: the matrix's role check (401 without a valid token, 403 for another role)."""
    access = request.app.state.access.for_route(request.scope["route"], request.method)
    if access.kind != "roles":
        return
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthenticated", "a bearer token is required", "authorization")
    try:
        principal = request.app.state.token_verifier.verify(token)
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", str(exc), "authorization") from None
    if not access.admits(principal.role):
        raise ApiError(403, "forbidden_role", f"this needs one of the roles: {access.describe()}")
    request.state.principal = principal


async def _current_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route the matrix leaves public asked who calls: treat the caller as unknown
        raise ApiError(401, "unauthenticated", "a bearer token is required", "authorization")
    return principal


#: The caller the access check admitted.
CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


def operations_access(public_metrics: bool) -> dict[str, Access]:
    """The operations routes every service has: health and readiness public; metrics public only by setting."""
    return {"GET /healthz": Access(PUBLIC), "GET /readyz": Access(PUBLIC),
            "GET /metrics": Access(PUBLIC) if public_metrics else Access("roles", frozenset({Role.SERVICE,
                                                                                             Role.ADMIN}))}


def require_district_scope(principal: Principal) -> None:
    """What the district keeps for all its streets (its calendar, policies, supervisors, certificates, bulletins) is
    changed only by staff whose scope is the whole district."""
    if principal.scope_level != "district":
        raise ApiError(403, "scope_too_narrow", "this is kept by the district's staff; your scope is "
                       f"{principal.scope_area}")
