"""The sender of queued messages — residents' SMS and messaging-group replies, staff e-mail: takes what is due
(quiet hours over), holds what would pass a recipient's hourly limit, fetches residents' numbers from intake at the
moment of sending (audited there, kept only in memory here), tries again after a passing failure, falls back to the
next channel after a lasting one, and dead-letters, with the reason, a message no channel could carry."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import structlog
from prometheus_client import Counter

from services.notification.adapters import send_queue
from services.notification.adapters.gateways import (
    FileSink,
    Gateway,
    HttpSmsGateway,
    MessagingBridge,
    Outgoing,
    SendFailed,
    SmtpMailer,
    SmtpSettings,
)
from services.notification.adapters.intake_client import ResidentDirectory
from services.notification.domain.deliveries import DeliveryStatus, quiet_until
from services.notification.domain.retries import after_failure
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.runtime.loop import Loop

log = structlog.get_logger(__name__)
SENT = Counter("gridlink_notifications_sent_total", "Messages handed to a gateway, by channel and outcome",
               ["channel", "outcome"])
DEAD = Counter("gridlink_notifications_dead_lettered_total", "Messages no channel could carry", ["channel"])
RATE_WINDOW = timedelta(hours=1)

@dataclass(frozen=True)
class Sent:
    row: object
    failure: SendFailed | None


class OutboundSender:
    def __init__(self, uow: UnitOfWorkFactory, gateways: dict[str, Gateway], directory: ResidentDirectory, *,
                 batch: int, max_attempts: int, hourly_limit: int, poll_seconds: float):
        self._uow, self._gateways, self._directory = uow, gateways, directory
        self._batch, self._max_attempts, self._hourly_limit = batch, max_attempts, hourly_limit
        self._loop = Loop("outbound-sender", self._round, interval=poll_seconds)

    def wake(self) -> None:
        self._loop.wake()

    async def _round(self) -> bool:
        return await self.send_due() >= self._batch  # a full batch: more may be due

    async def run(self) -> None:
        await self._loop.run()

    async def send_due(self, *, now: datetime | None = None) -> int:
        """Send one batch of due messages; returns how many were taken."""
        now = now or datetime.now(UTC)
        async with self._uow() as uow:
            rows = await send_queue.claim_deliveries(uow, now=now, batch=self._batch,
                                                     lease_until=now + timedelta(minutes=2))
            recent = await send_queue.sent_recently(uow, list({r.recipient for r in rows}), since=now - RATE_WINDOW)
        if not rows:
            return 0
        allowed, held = [], []
        for row in rows:
            recent[row.recipient] = recent.get(row.recipient, 0) + 1
            (allowed if recent[row.recipient] <= self._hourly_limit else held).append(row)
        numbers: dict[UUID, list[str]] | SendFailed = {}
        texting = {r.case_id for r in allowed if r.channel == "sms"}
        if texting:
            try:
                numbers = await self._directory.numbers(texting)
            except SendFailed as exc:
                numbers = exc
        sent = await asyncio.gather(*(self._send(row, numbers) for row in allowed))
        await self._settle(sent, held, now=datetime.now(UTC))
        return len(rows)

    async def _send(self, row, numbers: dict[UUID, list[str]] | SendFailed) -> Sent:
        try:
            if row.channel == "sms":
                if isinstance(numbers, SendFailed):
                    raise numbers
                await self._to_each(row, numbers.get(row.case_id, []))
            elif row.channel == "group":
                if not row.reply_to:
                    raise SendFailed("no messaging group to answer in", permanent=True)
                await self._gateways["group"].send(Outgoing(f"d{row.id}", row.reply_to, row.body))
            elif row.channel == "email":
                if not row.email:
                    raise SendFailed("no e-mail address for the recipient", permanent=True)
                await self._gateways["email"].send(Outgoing(f"d{row.id}", row.email, row.body,
                                                            subject=f"gridlink: {row.template}"))
            else:
                raise SendFailed(f"no gateway for channel {row.channel}", permanent=True)
        except SendFailed as exc:
            SENT.labels(row.channel, "permanent_failure" if exc.permanent else "failure").inc()
            return Sent(row, exc)
        SENT.labels(row.channel, "sent").inc()
        return Sent(row, None)

    async def _to_each(self, row, phones: list[str]) -> None:
        """Every reporter of the case hears (co-reporters too); sent if any of them was reached."""
        if not phones:
            raise SendFailed("no number on file for the case's reporters", permanent=True)
        failures = []
        for i, phone in enumerate(phones):
            try:
                await self._gateways["sms"].send(Outgoing(f"d{row.id}-{i}", phone, row.body))
            except SendFailed as exc:
                failures.append(exc)
        if len(failures) == len(phones):
            raise SendFailed(failures[0].reason, permanent=all(f.permanent for f in failures))

    async def _settle(self, sent: list[Sent], held: list, *, now: datetime) -> None:
        changes = []
        for s in sent:
            row = s.row
            if s.failure is None:
                changes.append(dict(row_id=row.id, new_status=DeliveryStatus.DELIVERED, new_channel=row.channel,
                                    rest=list(row.fallbacks), tries=row.attempts + 1, after=None, error=None, now=now))
                continue
            step = after_failure(row.channel, row.fallbacks, row.attempts + 1, permanent=s.failure.permanent,
                                 max_attempts=self._max_attempts, now=now)
            status = {"retry": DeliveryStatus.QUEUED, "fallback": DeliveryStatus.DELIVERED if step.channel == "inbox" else DeliveryStatus.QUEUED,
                      "dead_letter": DeliveryStatus.DEAD_LETTERED}[step.action]
            after = step.not_before
            if step.action == "fallback" and step.channel == "sms":  # residents are not texted at night
                after = quiet_until(now, urgent=row.urgent)
            if step.action == "dead_letter":
                DEAD.labels(row.channel).inc()
                # The delivery id and the reason only: the text and the address stay out of the logs.
                log.warning("message dead-lettered", delivery_id=row.id, channel=row.channel, reason=s.failure.reason)
            changes.append(dict(row_id=row.id, new_status=status, new_channel=step.channel, rest=list(step.fallbacks),
                                tries=step.attempts, after=after, error=s.failure.reason, now=now))
        for row in held:
            changes.append(dict(row_id=row.id, new_status=DeliveryStatus.QUEUED, new_channel=row.channel, rest=list(row.fallbacks),
                                tries=row.attempts, after=now + RATE_WINDOW / self._hourly_limit,
                                error="held: the recipient's hourly limit is reached", now=now))
        async with self._uow() as uow:
            await send_queue.settle_deliveries(uow, changes)


def gateways_of(settings, client: httpx.AsyncClient) -> dict[str, Gateway]:
    """The configured gateway of each channel, or its file sink."""
    outbox = Path(settings.outbox_dir)
    sms = (HttpSmsGateway(client, settings.sms_gateway_url, settings.sms_gateway_token) if settings.sms_gateway_url
           else FileSink(outbox / "sms.jsonl", "sms"))
    email = (SmtpMailer(SmtpSettings(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                                     settings.smtp_username, settings.smtp_password, settings.smtp_starttls))
             if settings.smtp_host else FileSink(outbox / "email.jsonl", "email"))
    group = (MessagingBridge(client, settings.messaging_bridge_url, settings.messaging_bridge_secret)
             if settings.messaging_bridge_url and settings.messaging_bridge_secret
             else FileSink(outbox / "messaging-group.jsonl", "group"))
    return {"sms": sms, "email": email, "group": group}


async def send_messages(runtime) -> None:
    """The service's worker sending SMS, e-mail and messaging-group replies."""
    settings = runtime.settings
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, connect=3), trust_env=False) as client:
        sender = OutboundSender(
            runtime.uow, gateways_of(settings, client),
            ResidentDirectory(client, settings.intake_url, settings.service_token), batch=settings.delivery_batch,
            max_attempts=settings.delivery_max_attempts, hourly_limit=settings.recipient_hourly_limit,
            poll_seconds=settings.delivery_poll_seconds)
        runtime.uow.after_commit.append(sender.wake)
        await sender.run()
