"""Notification's store in memory: contacts, deliveries, overrides, languages, subscriptions and held notices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import SimpleNamespace
from uuid import UUID

from services.notification.domain.deliveries import CaseContact, DeliveryStatus
from services.notification.domain.partners import Subscription, WebhookStatus
from shared.demo import demo_names
from shared.reference.names import Names


class FakeNotificationStore:
    def __init__(self, *, subscriptions: list[Subscription] = (), locales: dict[str, str] | None = None,
                 overrides: dict | None = None):
        self._subscriptions = list(subscriptions)
        self._locales = locales or {}
        self._overrides = overrides or {}
        self._steps: dict[str, Callable] = {}
        self.contacts: dict[UUID, CaseContact] = {}
        self.deliveries: list[dict] = []
        self.webhook_messages: list[dict] = []
        self.held: list[dict] = []
        self.templates: dict[tuple[str, str, str, str], str] = {}
        self.contact_points: dict[str, dict] = {}
        self.endpoints: dict[UUID, dict] = {}

    def to(self, recipient: str) -> list[dict]:
        return [d for d in self.deliveries if d["recipient"] == recipient]

    async def flush(self, uow) -> None:
        while self._steps:
            steps, self._steps = self._steps, {}
            for step in steps.values():
                await step(uow)

    async def template_overrides(self) -> dict:
        return self._overrides

    async def names(self) -> Names:
        return demo_names()

    async def locales(self) -> dict[str, str]:
        return self._locales

    async def subscriptions(self) -> list[Subscription]:
        return self._subscriptions

    async def save_template(self, key: tuple[str, str, str, str], source: str, *, by: str, at: datetime) -> None:
        self.templates[key] = source
        self._overrides[key] = source

    async def save_contact_point(self, recipient: str, *, email: str | None, locale: str, by: str,
                                 at: datetime) -> None:
        self.contact_points[recipient] = dict(email=email, locale=locale)
        self._locales[recipient] = locale

    async def remove_contact_point(self, recipient: str) -> bool:
        self._locales.pop(recipient, None)
        return self.contact_points.pop(recipient, None) is not None

    async def mark_read(self, delivery_id: int, recipient: str, *, at: datetime) -> dict | None:
        row = next((d for d in self.deliveries if d["id"] == delivery_id and d["recipient"] == recipient
                    and d["channel"] == "inbox"), None)
        if row is not None:
            row["read_at"] = row.get("read_at") or at
        return row

    async def queue_again(self, delivery_id: int, *, at: datetime) -> dict | None:
        row = next((d for d in self.deliveries if d["id"] == delivery_id
                    and d["status"] == DeliveryStatus.DEAD_LETTERED), None)
        if row is not None:
            row.update(status=DeliveryStatus.QUEUED, attempts=0, not_before=None)
        return row

    async def add_endpoint(self, endpoint: dict) -> dict:
        self.endpoints[endpoint["id"]] = {**endpoint, "disabled_reason": None, "failing_since": None}
        return self.endpoints[endpoint["id"]]

    async def endpoint(self, endpoint_id: UUID, partner: str) -> dict | None:
        endpoint = self.endpoints.get(endpoint_id)
        return endpoint if endpoint is not None and endpoint["partner"] == partner else None

    async def remove_endpoint(self, endpoint_id: UUID, partner: str) -> bool:
        if await self.endpoint(endpoint_id, partner) is None:
            return False
        del self.endpoints[endpoint_id]
        return True

    async def enable_endpoint(self, endpoint_id: UUID) -> dict:
        self.endpoints[endpoint_id].update(status="active", disabled_reason=None, failing_since=None)
        return self.endpoints[endpoint_id]

    async def send_again(self, endpoint_id: UUID, *, message_id: str | None = None,
                         failed_since: datetime | None = None) -> list[dict]:
        again = [m for m in self.webhook_messages if m["endpoint_id"] == endpoint_id
                 and (message_id is None or m["id"] == message_id)
                 and (failed_since is None or (m["status"] == WebhookStatus.FAILED and m["created_at"] >= failed_since))]
        for m in again:
            m["status"] = WebhookStatus.PENDING
        return again

    async def contact(self, case_id: UUID) -> CaseContact | None:
        return self.contacts.get(case_id)

    async def keep_contact(self, case_id: UUID, **known) -> CaseContact:
        self.contacts[case_id] = CaseContact.known(self.contacts.get(case_id), case_id, **known)
        return self.contacts[case_id]

    async def mark_waiting(self, case_id: UUID) -> None:
        self.contacts[case_id] = CaseContact.known(self.contacts.get(case_id), case_id, waiting=True)

    async def set_supervisor(self, case_id: UUID, supervisor_id: str) -> CaseContact:
        return await self.keep_contact(case_id, supervisor_id=supervisor_id)

    async def set_category(self, case_id: UUID, category_code: str) -> CaseContact:
        return await self.keep_contact(case_id, category_code=category_code)

    def log_deliveries(self, rows: list[dict]) -> None:
        seen = {(d["event_id"], d["recipient"], d["template"]) for d in self.deliveries}
        for row in rows:
            if (row["event_id"], row["recipient"], row["template"]) not in seen:
                self.deliveries.append({**row, "id": len(self.deliveries) + 1})

    async def awaiting_contact(self, case_ids: list[UUID]) -> list:
        return [SimpleNamespace(**d) for d in self.deliveries
                if d["case_id"] in case_ids and d["status"] is DeliveryStatus.AWAITING_CONTACT]

    def release(self, releases: list[dict]) -> None:
        for r in releases:
            row = next(d for d in self.deliveries if d["id"] == r["row_id"])
            row.update(body=r["text"], status=r["new_status"], not_before=r["after"], channel=r["first"],
                       fallbacks=r["rest"])

    def after_batch(self, key: str, step: Callable[..., Awaitable[None]]) -> None:
        self._steps.setdefault(key, step)

    def queue_webhook_messages(self, rows: list[dict]) -> None:
        self.webhook_messages.extend(rows)

    def hold_notice(self, *, event_id: str, case_id: UUID, event_type: str, data: dict, occurred_at: datetime) -> None:
        self.held.append(dict(event_id=event_id, case_id=case_id, event_type=event_type, data=data,
                              occurred_at=occurred_at))

    async def take_held_notices(self, case_ids: list[UUID]) -> list:
        taken = sorted((h for h in self.held if h["case_id"] in case_ids), key=lambda h: h["occurred_at"])
        self.held = [h for h in self.held if h["case_id"] not in case_ids]
        return [SimpleNamespace(**h) for h in taken]


