"""The queues notification's senders work through, as stored: deliveries due for their gateway and webhook messages
due for their endpoint, each claimed with a lease (so that no other sender, nor this one after a crash, takes them
twice), and what each attempt settles; one statement per kind of row for a whole batch."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, func, select, text, update

from services.notification.adapters import tables
from services.notification.adapters.store import subscriptions_cache
from services.notification.domain.deliveries import DeliveryStatus
from shared.messaging.unit_of_work import UnitOfWork

# Due queued messages, leased (their earliest time moved past a send's length) so no other sender takes them; with
# what the channel needs: the messaging group to answer in, the staff member's e-mail address.
_CLAIM_DELIVERIES = text("""
    UPDATE deliveries d SET not_before = :lease_until
    FROM (SELECT q.id, r.reply_to, coalesce(r.urgent, false) AS urgent, p.email
          FROM deliveries q
          LEFT JOIN case_recipients r ON r.case_id = q.case_id
          LEFT JOIN contact_points p ON p.recipient = q.recipient
          WHERE q.status = 'queued' AND (q.not_before IS NULL OR q.not_before <= :now)
          ORDER BY q.id LIMIT :batch FOR UPDATE OF q SKIP LOCKED) due
    WHERE d.id = due.id
    RETURNING d.id, d.case_id, d.recipient, d.channel, d.fallbacks, d.body, d.attempts, d.template, due.reply_to,
              due.urgent, due.email""")
_d = tables.deliveries.c
_SENT_RECENTLY = (select(_d.recipient, func.count()).where(
    _d.recipient.in_(bindparam("recipients", expanding=True)), _d.status == DeliveryStatus.DELIVERED,
    _d.channel != "inbox", _d.updated_at > bindparam("since")).group_by(_d.recipient))
_SETTLE_DELIVERIES = (update(tables.deliveries).where(_d.id == bindparam("row_id"))
           .values(status=bindparam("new_status"), channel=bindparam("new_channel"), fallbacks=bindparam("rest"),
                   attempts=bindparam("tries"), not_before=bindparam("after"), last_error=bindparam("error"),
                   updated_at=bindparam("now")))

# Due messages of active endpoints, at most ``room`` of each (``per_endpoint`` less what is in flight there), the
# endpoints in random order so none is always last, leased (the next attempt moved past the timeout) so that another
# process, or this one after a crash, leaves them be. One index probe per endpoint, however long the backlog.
_CLAIM_MESSAGES = text("""
    WITH busy AS (SELECT * FROM unnest(CAST(:busy AS uuid[]), CAST(:busy_room AS int[])) AS b(id, room)),
    picked AS (
        SELECT due.id FROM webhook_endpoints e LEFT JOIN busy ON busy.id = e.id
        CROSS JOIN LATERAL (
            SELECT m.id FROM webhook_messages m
            WHERE m.endpoint_id = e.id AND m.status = 'pending' AND m.next_attempt_at <= :now
            ORDER BY m.next_attempt_at LIMIT coalesce(busy.room, :per_endpoint)
            FOR UPDATE OF m SKIP LOCKED) due
        WHERE e.status = 'active' AND coalesce(busy.room, :per_endpoint) > 0
        ORDER BY random() LIMIT :batch
    )
    UPDATE webhook_messages m SET next_attempt_at = :lease_until
    FROM picked, webhook_endpoints e
    WHERE m.id = picked.id AND e.id = m.endpoint_id
    RETURNING m.id, m.endpoint_id, m.payload, m.attempts, e.url, e.secret""")
_m, _e = tables.webhook_messages.c, tables.webhook_endpoints.c
_SETTLE_MESSAGES = (update(tables.webhook_messages).where(_m.id == bindparam("message_id"))
           .values(status=bindparam("new_status"), attempts=bindparam("attempt"),
                   next_attempt_at=bindparam("next_at"), last_status_code=bindparam("status_code"),
                   last_error=bindparam("error"), delivered_at=bindparam("delivered")))
_HEALTHY = (update(tables.webhook_endpoints).where(_e.id == bindparam("endpoint"), _e.failing_since.is_not(None))
            .values(failing_since=None))
_FAILING = (update(tables.webhook_endpoints).where(_e.id == bindparam("endpoint"), _e.failing_since.is_(None))
            .values(failing_since=bindparam("since")))
_DISABLE = (update(tables.webhook_endpoints).where(_e.id == bindparam("endpoint"), _e.status == "active")
            .values(status="disabled", disabled_reason=bindparam("reason"))
            .returning(_e.id, _e.partner))
_DISABLE_LONG_FAILING = text("""
    UPDATE webhook_endpoints SET status = 'disabled',
           disabled_reason = 'failing without a success since ' || to_char(failing_since AT TIME ZONE 'UTC',
                                                                             'YYYY-MM-DD"T"HH24:MI"Z"')
    WHERE status = 'active' AND failing_since <= :cutoff AND id = ANY(CAST(:endpoints AS uuid[]))
    RETURNING id, partner""")


async def claim_deliveries(uow: UnitOfWork, *, now: datetime, batch: int, lease_until: datetime) -> list:
    """Up to ``batch`` queued messages due by ``now`` (quiet hours over), leased until ``lease_until``."""
    return (await uow.session.execute(_CLAIM_DELIVERIES, dict(now=now, batch=batch, lease_until=lease_until))).all()


async def sent_recently(uow: UnitOfWork, recipients: list[str], *, since: datetime) -> dict[str, int]:
    """How many messages each recipient was sent (not by the inbox) since ``since``."""
    if not recipients:
        return {}
    return dict((await uow.session.execute(_SENT_RECENTLY, dict(recipients=sorted(recipients), since=since))).all())


async def settle_deliveries(uow: UnitOfWork, changes: list[dict]) -> None:
    """Each message's outcome: delivered, queued again (a retry, the next channel, held), or dead-lettered."""
    if changes:
        await uow.session.execute(_SETTLE_DELIVERIES, changes)


async def claim_webhook_messages(uow: UnitOfWork, *, now: datetime, busy: dict[UUID, int], per_endpoint: int,
                                 batch: int, lease_until: datetime) -> list:
    """Due messages of active endpoints, at most ``per_endpoint`` less what is in flight (``busy``) for each."""
    return (await uow.session.execute(_CLAIM_MESSAGES, dict(
        now=now, busy=[str(e) for e in busy], busy_room=[max(0, per_endpoint - n) for n in busy.values()],
        per_endpoint=per_endpoint, batch=batch, lease_until=lease_until))).all()


async def settle_webhook_attempts(uow: UnitOfWork, *, attempts: list[dict], settled: list[dict],
                                  healthy: set[UUID], failing: dict[UUID, datetime], to_disable: dict[UUID, str],
                                  failing_before: datetime) -> list[tuple[UUID, str, str]]:
    """The attempt log, each message's next step, each endpoint's health; the endpoints disabled now (on a 410, a
    target gone internal, or failing since before ``failing_before``) as (id, partner, reason)."""
    session = uow.session
    await session.execute(tables.webhook_attempts.insert(), attempts)
    await session.execute(_SETTLE_MESSAGES, settled)
    disabled = []
    if healthy - failing.keys():
        await session.execute(_HEALTHY, [dict(endpoint=e) for e in healthy - failing.keys()])
    if failing:
        await session.execute(_FAILING, [dict(endpoint=e, since=t) for e, t in failing.items()])
        for endpoint, reason in to_disable.items():
            disabled += [(*r, reason) for r in await session.execute(_DISABLE, dict(endpoint=endpoint,
                                                                                     reason=reason))]
        disabled += [(*r, "failing for days") for r in await session.execute(
            _DISABLE_LONG_FAILING, dict(cutoff=failing_before, endpoints=[str(e) for e in failing]))]
    if disabled:
        await subscriptions_cache.changed(uow)
    return disabled
