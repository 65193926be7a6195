"""Notification's handlers on a real PostgreSQL, a consumer's batch at a time: messages read before their case's
report wait for it and are released by it, for every case of the batch at once; one delivery per rule and
recipient; what is written in one statement for the batch is what each event asked for."""

from __future__ import annotations

from sqlalchemy import select

from gridlink.bench.notification import _events
from services.notification.adapters import tables
from services.notification.handlers import HANDLERS

_d, _r = tables.deliveries.c, tables.recipients.c


async def _apply(uow_factory, events, tag: str) -> None:
    """As the consumer applies a batch: one transaction, the batch's keys known to it."""
    async with uow_factory() as uow:
        uow.batch_keys = tuple(e.key for e in events)
        for event in events:
            event_id = f"{tag}-{event.type}-{event.key}"
            uow.caused_by(correlation_id=event_id, causation_id=event_id)
            await HANDLERS[type(event)](event, uow)


async def test_dispatches_read_before_their_reports_wait_and_the_reports_release_them(notification_uows):
    reported, dispatched = _events(5, street="st-huayang", urgent=True)
    await _apply(notification_uows, dispatched, "dispatched")
    async with notification_uows() as uow:
        waiting = (await uow.session.execute(select(_d.case_id, _d.status, _d.audience)
                                             .where(_d.audience == "resident"))).all()
        marked = (await uow.session.execute(select(_r.case_id).where(_r.waiting))).scalars().all()
        inbox = (await uow.session.execute(select(_d.status).where(_d.audience == "unit"))).scalars().all()
    assert {w.status for w in waiting} == {"awaiting_contact"} and len(waiting) == 5
    assert set(marked) == {e.case_id for e in dispatched}
    assert inbox == ["delivered"] * 5  # the unit does not wait for the resident's report
    await _apply(notification_uows, reported, "reported")
    async with notification_uows() as uow:
        rows = (await uow.session.execute(select(tables.deliveries).where(_d.audience == "resident")
                                          .order_by(_d.id))).all()
        still = (await uow.session.execute(select(_r.case_id).where(_r.waiting))).scalars().all()
    codes = {e.case_id: e.tracking_code for e in reported}
    released = [r for r in rows if r.template == "dispatched"]
    assert len(released) == 5 and all(r.status == "queued" and r.channel == "sms" for r in released)
    assert all(codes[r.case_id] in r.body and "基准单位" in r.body for r in released)
    assert len([r for r in rows if r.template == "received"]) == 5 and still == []


async def test_the_same_batch_applied_twice_writes_each_delivery_once(notification_uows):
    reported, dispatched = _events(3, street="st-huayang")
    await _apply(notification_uows, reported + dispatched, "once")
    await _apply(notification_uows, dispatched, "once")  # the same event ids: the unique key absorbs them
    async with notification_uows() as uow:
        rows = (await uow.session.execute(select(_d.template, _d.audience))).all()
    assert sorted((r.audience, r.template) for r in rows) == sorted(
        [("resident", "received")] * 3 + [("resident", "dispatched")] * 3 + [("unit", "new_assignment")] * 3)


async def test_a_partner_step_read_before_its_report_is_held_until_the_report_says_where_the_case_lies(
        notification_uows):
    from datetime import UTC, datetime

    from shared.events import CaseSigned, PartnerCaseNotice

    reported, _ = _events(2, street="st-huayang")
    signed = [CaseSigned(case_id=e.case_id, unit_id="unit-1", unit_name="单位", signed_at=datetime.now(UTC))
              for e in reported]
    await _apply(notification_uows, signed, "early")
    outbox = tables.messaging.outbox
    async with notification_uows() as uow:
        held = (await uow.session.execute(select(tables.held_notices.c.case_id))).scalars().all()
        told = (await uow.session.execute(select(outbox.c.data))).scalars().all()
    assert sorted(held) == sorted(e.case_id for e in reported) and told == []
    await _apply(notification_uows, reported, "report")
    async with notification_uows() as uow:
        held = (await uow.session.execute(select(tables.held_notices))).all()
        told = (await uow.session.execute(select(outbox.c.data).where(outbox.c.type == PartnerCaseNotice.type)
                                          .order_by(outbox.c.id))).scalars().all()
    steps = [(n["step"].split(".")[3], n["street_id"]) for n in told]
    assert held == [] and sorted(steps) == sorted([("reported", "st-huayang"), ("signed", "st-huayang")] * 2)
