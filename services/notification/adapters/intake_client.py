"""What notification asks intake, at the edge: the numbers of a case's reporters, at the moment of texting them
(audited there, never stored here), and the jurisdiction's areas, which partners' filters must name."""

from __future__ import annotations

import time
from uuid import UUID

import httpx

from services.notification.adapters.gateways import SendFailed

PURPOSE = "notification: texting the case's reporters an update on their case"
AREAS_TTL_SECONDS = 300.0


class ResidentDirectory:
    """Intake, asked for the numbers of the cases' reporters (the only place they are kept)."""

    def __init__(self, client: httpx.AsyncClient, url: str | None, token: str | None):
        self._client, self._url, self._token = client, url, token

    async def numbers(self, case_ids: set[UUID]) -> dict[UUID, list[str]]:
        if not self._url or not self._token:
            raise SendFailed("intake is not configured (NOTIFICATION_INTAKE_URL, NOTIFICATION_SERVICE_TOKEN)")
        try:
            response = await self._client.post(
                f"{self._url.rstrip('/')}/v1/reporters/numbers", headers={"authorization": f"Bearer {self._token}"},
                json={"case_ids": [str(c) for c in case_ids], "purpose": PURPOSE})
        except httpx.HTTPError as exc:
            raise SendFailed(f"intake unreachable ({type(exc).__name__})") from None
        if not response.is_success:
            raise SendFailed(f"intake answered {response.status_code}")
        return {UUID(c["case_id"]): [r["phone"] for r in c["reporters"]] for c in response.json()}


class AreasUnavailable(Exception):
    """Intake could not say which areas exist."""


class FilterableAreas:
    """The ids of the districts and streets a partner may filter on, from intake, kept ``ttl`` seconds per process."""

    def __init__(self, ttl: float = AREAS_TTL_SECONDS):
        self._ttl = ttl
        self._known: tuple[float, frozenset[str]] | None = None

    async def get(self, url: str | None) -> frozenset[str]:
        if self._known is not None and time.monotonic() - self._known[0] < self._ttl:
            return self._known[1]
        if not url:
            raise AreasUnavailable("intake is not configured (NOTIFICATION_INTAKE_URL)")
        try:
            async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
                response = await http.get(f"{url.rstrip('/')}/v1/areas")
        except httpx.HTTPError as exc:
            raise AreasUnavailable(f"intake unreachable ({type(exc).__name__})") from None
        if not response.is_success:
            raise AreasUnavailable(f"intake answered {response.status_code}")
        ids = frozenset(a["id"] for a in response.json() if a["level"] in ("district", "street"))
        self._known = (time.monotonic(), ids)
        return ids


filterable_areas = FilterableAreas()
