"""Sign-in at an OpenID Connect identity provider (authorization code flow with PKCE), instead of or beside the
console's own passwords: the provider's discovery document, the way there, and the way back (the code exchanged
with authlib's client, the ID token verified with joserfc: signature by the provider's published keys, issuer,
audience, expiry, nonce)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import authlib.deprecate
import httpx
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

with warnings.catch_warnings():  # authlib's notice that its httpx integration will move to httpx2
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

ALGORITHMS = ["RS256", "ES256", "EdDSA", "PS256"]


class OidcRefused(Exception):
    """The provider's answer cannot sign anyone in; ``code`` is stable, the message safe to show."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    nonce: str
    code_verifier: str


class Provider:
    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str, *,
                 scope: str = "openid profile"):
        self.issuer, self.client_id, self.client_secret = issuer.rstrip("/"), client_id, client_secret
        self.redirect_uri, self.scope = redirect_uri, scope
        self._metadata: dict | None = None
        self._keys: tuple[float, KeySet] | None = None

    async def metadata(self) -> dict:
        if self._metadata is None:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.get(f"{self.issuer}/.well-known/openid-configuration")
            answer.raise_for_status()
            found = answer.json()
            if found.get("issuer", "").rstrip("/") != self.issuer:
                raise OidcRefused("oidc_misconfigured", "the provider names another issuer")
            self._metadata = found
        return self._metadata

    async def _key_set(self, *, fresh: bool = False) -> KeySet:
        if fresh or self._keys is None or time.monotonic() - self._keys[0] > 3600:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.get((await self.metadata())["jwks_uri"])
            answer.raise_for_status()
            self._keys = (time.monotonic(), KeySet.import_key_set(answer.json()))
        return self._keys[1]

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self.client_id, client_secret=self.client_secret, scope=self.scope,
                                 redirect_uri=self.redirect_uri, code_challenge_method="S256", timeout=10)

    async def start(self) -> Started:
        """Where to send the person: the provider's authorization endpoint with a state, a nonce and a PKCE
        challenge (the verifier stays here)."""
        metadata = await self.metadata()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(48)
        async with self._client() as client:
            url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=state, nonce=nonce,
                                                     code_verifier=verifier)
        return Started(url, state, nonce, verifier)

    async def finish(self, code: str, *, nonce: str, code_verifier: str) -> dict:
        """The verified claims of the person the provider signed in."""
        metadata = await self.metadata()
        async with self._client() as client:
            try:
                token = await client.fetch_token(metadata["token_endpoint"], code=code, code_verifier=code_verifier,
                                                 grant_type="authorization_code")
            except Exception:
                raise OidcRefused("oidc_refused", "the provider would not exchange the code") from None
        id_token = token.get("id_token")
        if not id_token:
            raise OidcRefused("oidc_refused", "the provider sent no ID token")
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), algorithms=ALGORITHMS)
            except JoseError:  # the provider may have rotated its keys since they were fetched
                decoded = jwt.decode(id_token, await self._key_set(fresh=True), algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": self.issuer},
                                  aud={"essential": True, "value": self.client_id},
                                  exp={"essential": True}, sub={"essential": True},
                                  nonce={"essential": True, "value": nonce}).validate(decoded.claims)
        except JoseError:
            raise OidcRefused("oidc_invalid_token", "the provider's ID token is not valid") from None
        return decoded.claims
