"""The services that own the domain, called on a signed-in user's behalf: a short-lived token in the user's role and
scope, an idempotency key per form, and the owner's answer (a refusal keeps its stable code and field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from services.console.domain.accounts import Account
from shared.auth import Role, issue_token

#: What a page may ask of an owner in the time a person waits.
TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass(frozen=True)
class OwnerAnswer:
    status: int
    body: Any
    retry_after: str | None = None  # the owner's Retry-After, passed on to the person (a limit, a lock)

    @classmethod
    def of(cls, answer: httpx.Response) -> OwnerAnswer:
        try:
            body = answer.json()
        except ValueError:
            body = answer.content
        return cls(answer.status_code, body, answer.headers.get("retry-after"))

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        """The refusal's stable code (``owner_unavailable`` when the owner did not answer)."""
        return (self.body or {}).get("code", "owner_unavailable") if isinstance(self.body, dict) else "owner_unavailable"

    @property
    def field(self) -> str | None:
        return (self.body or {}).get("field") if isinstance(self.body, dict) else None


class Owners:
    """One HTTP client for the four services, shared by a console worker's requests."""

    def __init__(self, urls: dict[str, str], private_key: str, *, token_minutes: float, jurisdiction: str):
        self._urls, self._key, self._ttl = urls, private_key, timedelta(minutes=token_minutes)
        self._jurisdiction = jurisdiction
        self._client = httpx.AsyncClient(timeout=TIMEOUT)

    def token_for(self, account: Account) -> str:
        """The user's own token: their role, unit and scope, for minutes only (the services verify it)."""
        return issue_token(self._key, role=account.role, jurisdiction=account.jurisdiction, unit_id=account.unit_id,
                           subject=f"console:{account.username}", ttl=self._ttl, scope=account.scope)

    async def call(self, account: Account, service: str, method: str, path: str, *, json: Any = None,
                   params: dict | None = None, idempotency_key: str | None = None, language: str = "zh",
                   files: dict | None = None) -> OwnerAnswer:
        headers = {"Authorization": f"Bearer {self.token_for(account)}", "Accept-Language": language}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return await self._request(method, self._urls[service] + path, headers, json=json, params=params,
                                   files=files)

    async def call_public(self, service: str, method: str, path: str, *, resident_address: str, json: Any = None,
                          params: dict | None = None, language: str = "zh", idempotency_key: str | None = None,
                          files: dict | None = None) -> OwnerAnswer:
        """A public route asked for a resident (no token): the resident's address goes along as ``X-Forwarded-For``,
        so the owner's limits count the resident, not the console (the owner trusts the header only from the
        addresses its ``INTAKE_FORWARDED_ALLOW_IPS`` names: the console's)."""
        headers = {"Accept-Language": language, "X-Forwarded-For": resident_address}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return await self._request(method, self._urls[service] + path, headers, json=json, params=params,
                                   files=files)

    async def fetch_public(self, service: str, path: str) -> httpx.Response | None:
        """A document an owner publishes (a bulletin's PDF); None when missing or unreachable."""
        try:
            answer = await self._client.get(self._urls[service] + path)
        except httpx.HTTPError:
            return None
        return answer if answer.status_code == 200 else None

    async def fetch_for_resident(self, service: str, path: str) -> httpx.Response | None:
        """A file shown to a resident the console has checked (the tracking code and the phone's digits), asked as
        the console's own service: the owner serves only what residents may see (a completion photo)."""
        token = issue_token(self._key, role=Role.SERVICE, jurisdiction=self._jurisdiction,
                            subject="service:console-residents", ttl=timedelta(minutes=1))
        try:
            answer = await self._client.get(self._urls[service] + path, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError:
            return None
        return answer if answer.status_code == 200 else None

    async def _request(self, method: str, url: str, headers: dict, **sent) -> OwnerAnswer:
        try:
            return OwnerAnswer.of(await self._client.request(method, url, headers=headers, **sent))
        except httpx.HTTPError:
            return OwnerAnswer(503, {"code": "owner_unavailable", "field": None})

    async def fetch(self, account: Account, service: str, path: str) -> httpx.Response | None:
        """A file an owner serves (a photo), as the user may see it; None when refused or unreachable."""
        try:
            answer = await self._client.get(self._urls[service] + path,
                                            headers={"Authorization": f"Bearer {self.token_for(account)}"})
        except httpx.HTTPError:
            return None
        return answer if answer.status_code == 200 else None

    async def close(self) -> None:
        await self._client.aclose()
