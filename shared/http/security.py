"""FastAPI dependencies for bearer-token authentication and role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import InvalidToken, Principal, Role
from shared.http.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="A gridlink JWT: `gridlink token --role R`")


async def current_principal(request: Request,
                            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "a bearer token is required", "authorization")
    try:
        return request.app.state.token_verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", str(exc), "authorization") from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role):
    """A dependency admitting only the named roles (and admins)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles and principal.role is not Role.ADMIN:
            raise ApiError(403, "forbidden_role", f"this needs one of the roles: {', '.join(roles)}")
        return principal

    return Depends(check)
