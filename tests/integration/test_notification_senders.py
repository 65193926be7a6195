"""The senders on a real PostgreSQL: staff e-mail over a real SMTP server (aiosmtpd) with the inbox as fallback;
residents' SMS through an HTTP gateway (a local receiver stands in for the operator's), retried after a passing
failure, on to the messaging group after a lasting one, dead-lettered when no channel is left; the hourly limit per
recipient; webhooks where a slow endpoint does not hold up healthy ones and one failing too long is disabled."""

from __future__ import annotations

import asyncio
import json
import threading
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from uuid import UUID, uuid4

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from gridlink.embedded import free_port
from services.notification.adapters import tables
from services.notification.adapters.gateways import HttpSmsGateway, MessagingBridge, SmtpMailer, SmtpSettings
from services.notification.workers.outbound import OutboundSender
from services.notification.workers.webhook_sender import EndpointClients, WebhookSender
from shared.webhooks import new_secret, verify
from tests.receivers import LocalReceiver

pytestmark = pytest.mark.integration
_d = tables.deliveries.c


class Mailbox:
    """aiosmtpd's handler: every message the SMTP server accepted."""

    def __init__(self):
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.endswith("@refused.example"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


class IntakeStandIn:
    """Stands in for intake's audited number lookup (the e2e tests go through the real one)."""

    def __init__(self, numbers: dict[UUID, list[str]]):
        self._numbers, self.asked = numbers, []

    async def numbers(self, case_ids):
        self.asked.append(set(case_ids))
        return {c: self._numbers[c] for c in case_ids if c in self._numbers}


async def _queue(uow_factory, *rows: dict) -> list[int]:
    async with uow_factory() as uow:
        ids = []
        for row in rows:
            values = dict(event_id=f"e-{uuid4().hex[:8]}", event_type="org.gridlink.case.escalated.v1",
                          case_id=uuid4(), audience="leader", template="escalation", body="请及时处理",
                          status="queued", locale="zh", fallbacks=[]) | row
            ids.append(await uow.session.scalar(tables.deliveries.insert().values(**values).returning(_d.id)))
        return ids


async def _rows(uow_factory, ids: list[int]) -> list:
    async with uow_factory() as uow:
        found = {r.id: r for r in (await uow.session.execute(select(tables.deliveries).where(_d.id.in_(ids)))).all()}
    return [found[i] for i in ids]


def _sender(uow_factory, gateways, directory=None, **options) -> OutboundSender:
    return OutboundSender(uow_factory, gateways, directory or IntakeStandIn({}), batch=options.get("batch", 100),
                          max_attempts=options.get("max_attempts", 3), hourly_limit=options.get("limit", 10),
                          poll_seconds=0.1)


async def test_staff_email_goes_over_smtp_and_falls_back_to_the_inbox(notification_uows):
    mailbox, port = Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with notification_uows() as uow:
            for recipient, email in (("leader:st-a", "leader.a@street.example"),
                                     ("leader:st-c", "gone@refused.example")):
                await uow.session.execute(tables.contact_points.insert().values(
                    recipient=recipient, email=email, updated_by="admin", updated_at=datetime.now(UTC)))
        ids = await _queue(notification_uows, *(dict(recipient=r, channel="email", fallbacks=["inbox"])
                                                for r in ("leader:st-a", "leader:st-b", "leader:st-c")))
        mailer = SmtpMailer(SmtpSettings("127.0.0.1", port, "gridlink@district.example"))
        assert await _sender(notification_uows, {"email": mailer}).send_due() == 3
        mailed, no_address, refused = await _rows(notification_uows, ids)
    finally:
        smtp.stop()
    assert [m.rcpt_tos for m in mailbox.messages] == [["leader.a@street.example"]]
    mail = message_from_bytes(mailbox.messages[0].original_content, policy=default)
    assert mail["From"] == "gridlink@district.example" and mail["Subject"] == "gridlink: escalation"
    assert mail.get_content().strip() == "请及时处理"
    assert (mailed.status, mailed.channel, mailed.attempts) == ("delivered", "email", 1)
    assert (no_address.status, no_address.channel) == ("delivered", "inbox")
    assert no_address.last_error == "no e-mail address for the recipient"
    assert (refused.status, refused.channel) == ("delivered", "inbox")
    assert refused.last_error == "the mail server refused the address"


async def test_a_residents_sms_is_retried_then_falls_back_to_the_group_then_is_dead_lettered(notification_uows):
    bridge_secret, flaky_seen = new_secret(), []

    def answer(request):
        if request.path == "/bridge":
            return (204 if verify(bridge_secret, request.headers, request.body) else 401), {}
        to = json.loads(request.body)["to"]
        if to == "13800000002":
            return 400, {}  # the operator refuses the number: no retry helps
        if to == "13800000001" and not flaky_seen:
            flaky_seen.append(to)
            return 503, {}
        return 200, {}

    receiver = LocalReceiver(answer, host="127.0.0.1")
    flaky, refused, unknown = uuid4(), uuid4(), uuid4()
    async with notification_uows() as uow:
        await uow.session.execute(tables.recipients.insert().values(case_id=refused, reply_to="group-7/msg-42"))
    ids = await _queue(notification_uows, *(dict(case_id=c, recipient=f"resident:{c}", audience="resident",
                                                 channel="sms", fallbacks=fb, template="received")
                                            for c, fb in ((flaky, []), (refused, ["group"]), (unknown, []))))
    intake = IntakeStandIn({flaky: ["13800000001"], refused: ["13800000002"]})
    try:
        async with httpx.AsyncClient() as client:
            sender = _sender(notification_uows, {"sms": HttpSmsGateway(client, receiver.url("/sms"), "t0k"),
                                                 "group": MessagingBridge(client, receiver.url("/bridge"),
                                                                          bridge_secret)}, intake)
            assert await sender.send_due() == 3
            first = await _rows(notification_uows, ids)
            assert (first[0].status, first[0].attempts, first[0].last_error) == ("queued", 1, "gateway answered 503")
            assert first[0].not_before > datetime.now(UTC) + timedelta(seconds=20)
            assert (first[1].status, first[1].channel, first[1].fallbacks) == ("queued", "group", [])
            assert (first[2].status, first[2].last_error) == ("dead_lettered",
                                                              "no number on file for the case's reporters")
            assert await sender.send_due(now=datetime.now(UTC) + timedelta(minutes=2)) == 2
            retried, in_group, _ = await _rows(notification_uows, ids)
    finally:
        receiver.close()
    assert (retried.status, retried.attempts) == ("delivered", 2)
    assert (in_group.status, in_group.channel) == ("delivered", "group")
    bridged = [r for r in receiver.requests if r.path == "/bridge"]
    assert len(bridged) == 1 and b'"group_id": "group-7"' in bridged[0].body and b"msg-42" in bridged[0].body
    assert all(r.headers["authorization"] == "Bearer t0k" for r in receiver.requests if r.path == "/sms")
    # One lookup per batch, for the SMS in it only: the group reply needs no number.
    assert intake.asked == [{flaky, refused, unknown}, {flaky}]


async def test_a_recipient_gets_no_more_than_the_hourly_limit_and_the_rest_waits(notification_uows):
    sent = []

    class Sink:
        async def send(self, message):
            sent.append(message)

    ids = await _queue(notification_uows, *(dict(recipient="leader:st-a", channel="email", fallbacks=["inbox"])
                                            for _ in range(6)))
    async with notification_uows() as uow:
        await uow.session.execute(tables.contact_points.insert().values(
            recipient="leader:st-a", email="a@street.example", updated_by="admin", updated_at=datetime.now(UTC)))
    assert await _sender(notification_uows, {"email": Sink()}, limit=4).send_due() == 6
    rows = await _rows(notification_uows, ids)
    assert [r.status for r in rows] == ["delivered"] * 4 + ["queued"] * 2 and len(sent) == 4
    assert all(r.not_before > datetime.now(UTC) + timedelta(minutes=10) for r in rows[4:])
    assert rows[5].last_error == "held: the recipient's hourly limit is reached"


async def _endpoint(uow_factory, url: str) -> UUID:
    endpoint_id = uuid4()
    async with uow_factory() as uow:
        await uow.session.execute(tables.webhook_endpoints.insert().values(
            id=endpoint_id, partner="p", url=url, secret=new_secret(), event_types=["x"], areas=[], status="active",
            created_at=datetime.now(UTC)))
    return endpoint_id


async def _messages(uow_factory, endpoint_id: UUID, count: int) -> None:
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        await uow.session.execute(tables.webhook_messages.insert(), [
            dict(id=f"msg_{uuid4().hex}", endpoint_id=endpoint_id, event_id=uuid4().hex, case_id=uuid4(), step="x",
                 payload="{}", status="pending", next_attempt_at=now, created_at=now) for _ in range(count)])


async def _status_counts(uow_factory, endpoint_id: UUID) -> dict[str, int]:
    m = tables.webhook_messages.c
    async with uow_factory() as uow:
        rows = (await uow.session.execute(select(m.status).where(m.endpoint_id == endpoint_id))).scalars().all()
    return {s: rows.count(s) for s in set(rows)}


def _webhook_sender(uow_factory, **options) -> WebhookSender:
    return WebhookSender(uow_factory, EndpointClients(timeout=10, per_endpoint=2, allowed_networks=["127.0.0.0/8"]), schedule=(timedelta(minutes=5),),
                         disable_after=options.get("disable_after", timedelta(days=3)), concurrency=8,
                         per_endpoint=2, timeout=10, allowed_networks=["127.0.0.0/8"], poll_seconds=0.05)


async def test_a_stuck_webhook_endpoint_holds_two_slots_and_healthy_ones_go_on(notification_uows):
    released, arrived = threading.Event(), []

    def answer(request):
        if request.path == "/stuck":
            arrived.append(request)
            released.wait(30)  # holds every attempt until the test lets go
        return 204, {}

    receiver = LocalReceiver(answer, host="127.0.0.1")
    stuck = await _endpoint(notification_uows, receiver.url("/stuck"))
    healthy = await _endpoint(notification_uows, receiver.url("/healthy"))
    await _messages(notification_uows, stuck, 20)
    await _messages(notification_uows, healthy, 60)
    task = asyncio.create_task(_webhook_sender(notification_uows).run())
    try:
        for _ in range(150):
            await asyncio.sleep(0.1)
            if await _status_counts(notification_uows, healthy) == {"delivered": 60}:
                break
        healthy_done = await _status_counts(notification_uows, healthy)
        stuck_seen = len(arrived)
    finally:
        released.set()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        receiver.close()
    # All 60 healthy messages went while the stuck endpoint held its two slots (and no more) unanswered.
    assert healthy_done == {"delivered": 60} and stuck_seen == 2


async def test_a_webhook_endpoint_failing_without_a_success_for_too_long_is_disabled(notification_uows):
    receiver = LocalReceiver(lambda request: (500, {}), host="127.0.0.1")
    endpoint_id = await _endpoint(notification_uows, receiver.url("/broken"))
    await _messages(notification_uows, endpoint_id, 1)
    try:
        sender = _webhook_sender(notification_uows, disable_after=timedelta(0))
        assert await sender.start_due() == 1
        for _ in range(50):
            await asyncio.sleep(0.05)
            if await sender.write_log():
                break
    finally:
        receiver.close()
    async with notification_uows() as uow:
        endpoint = (await uow.session.execute(select(tables.webhook_endpoints).where(
            tables.webhook_endpoints.c.id == endpoint_id))).one()
        attempts = (await uow.session.execute(select(tables.webhook_attempts))).all()
    assert endpoint.status == "disabled" and endpoint.disabled_reason.startswith("failing without a success since")
    assert [(a.attempt, a.status_code, a.error) for a in attempts] == [(1, 500, "HTTP 500")]
