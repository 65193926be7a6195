"""Supervision's watch: fires what falls due (warnings, breaches, the ladder), folds the rates of cases that moved,
publishes last week's bulletin once a week has ended, and checks the working calendars daily."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from services.supervision.adapters.read_model import refresh_stale
from services.supervision.commands.bulletins import publish_last_week
from services.supervision.commands.firing import check_calendars, fire_due
from services.supervision.domain.periods import week_of
from shared.local_time import LOCAL_ZONE
from shared.runtime.loop import Loop
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
REFRESH_BATCH = 500


async def watch(runtime: ServiceRuntime, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    settings = runtime.settings
    checked_on = published_for = None

    async def round() -> bool:
        nonlocal checked_on, published_for
        now = clock()
        if checked_on != now.date():
            await check_calendars(runtime.uow, today=now.astimezone(UTC).date())
            checked_on = now.date()
        if published_for != week_of(now.astimezone(LOCAL_ZONE)):
            await publish_last_week(runtime.uow, now=now)
            published_for = week_of(now.astimezone(LOCAL_ZONE))
        handled = await fire_due(runtime.uow, now=now, batch=settings.deadline_batch,
                                 per_unit=settings.deadline_per_unit)
        if handled >= settings.deadline_batch:
            log.info("deadlines fired; more are due", clocks=handled)
        refreshed = await refresh_stale(runtime.uow, batch=REFRESH_BATCH)
        return handled >= settings.deadline_batch or refreshed >= REFRESH_BATCH  # a full batch: more may wait

    await Loop("deadline-watch", round, interval=settings.deadline_poll_seconds).run()
