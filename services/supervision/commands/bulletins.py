"""The weekly bulletin naming late units and cases: composed from the clocks and the rates, stored as HTML and PDF,
generated after each week ends (by whichever supervision instance gets there first) and on demand."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from uuid import uuid4

import structlog
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import read_model, tables
from services.supervision.adapters.bulletin_documents import (
    BulletinContent,
    LateCase,
    LateUnit,
    render_html,
    render_pdf,
)
from services.supervision.domain.periods import period_bounds, week_of
from services.supervision.domain.public_record import public_number
from services.supervision.domain.rates import rankable, red_and_black, standings
from shared.local_time import LOCAL_ZONE
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.reference.keeping import names as kept_names

log = structlog.get_logger(__name__)
_d, _c, _b = tables.deadlines.c, tables.cases.c, tables.bulletins.c
_HANDLING = ("sign_for", "completion", "planned")


async def compose(session: AsyncSession, district: str, week: str, *, now: datetime,
                  min_facts: int = 5) -> BulletinContent:
    start, end = period_bounds(week, LOCAL_ZONE)
    kept = await kept_names(session)
    names = {code: name for code, name in (await session.execute(
        select(tables.unit_names.c.id, tables.unit_names.c.name))).all()} | kept.for_locale("zh").get("unit", {})
    late = (await session.execute(
        select(tables.deadlines, _c.category_code, _c.street_id)
        .join(tables.cases, _c.id == _d.case_id)
        .where(_c.district_id == district, _d.kind.in_(_HANDLING), _d.breached_at >= start, _d.breached_at < end)
        .order_by(_d.due_at))).all()
    to_district = Counter((await session.execute(
        select(_d.unit_id).join(tables.cases, _c.id == _d.case_id)
        .where(_c.district_id == district, _d.kind == "reply", _d.outcome == "unanswered", _d.closed_at >= start,
               _d.closed_at < end))).scalars())
    by_unit: dict[str, Counter] = defaultdict(Counter)
    cases = []
    for r in late:
        by_unit[r.unit_id][r.kind] += 1
        finished = r.closed_at if r.status == "closed" else min(end, now)
        cases.append(LateCase(number=public_number(r.case_id), category=kept.category(r.category_code),
                              street=kept.area(r.street_id),
                              unit=names.get(r.unit_id, r.unit_id), kind=r.kind,
                              due=r.due_at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M"),
                              hours_late=round(max((finished - r.due_at).total_seconds(), 0) / 3600, 1),
                              still_open=r.status != "closed"))
    units = sorted((LateUnit(unit=names.get(u, u), breaches=sum(k.values()), sign_for=k["sign_for"],
                             completion=k["completion"] + k["planned"], to_district=to_district[u])
                    for u, k in by_unit.items()), key=lambda u: (-u.breaches, u.unit))
    ranked = rankable(standings(await read_model.counts(session, by="unit", start=start, end=end)),
                      min_facts=min_facts)
    red, black = red_and_black(ranked, min_measured=min_facts)
    received = await session.scalar(select(func.count()).where(
        _c.district_id == district, _c.reported_at >= start, _c.reported_at < end))
    completed = await session.scalar(select(func.count()).where(
        _c.district_id == district, _c.completed_at >= start, _c.completed_at < end))
    return BulletinContent(
        district=district, week=week, district_name=kept.area(district), start=start.date().isoformat(), end=(end - timedelta(days=1)).date().isoformat(),
        received=received, completed=completed, breaches=len(late), late_units=units, late_cases=cases,
        black_list=[(names.get(s.key, s.key), s.score) for s in black],
        red_list=[(names.get(s.key, s.key), s.score) for s in red])


async def generate(uow_factory: UnitOfWorkFactory, district: str, week: str, *, by: str, replace: bool,
                   now: datetime) -> bool:
    """Compose and store one week's bulletin; False if it exists and ``replace`` is off (the schedule's case)."""
    async with uow_factory() as uow:
        if not replace and await uow.session.scalar(
                select(_b.id).where(_b.district_id == district, _b.week == week)) is not None:
            return False
        # Units of work made without settings (a test's, a script's) rank with compose's default.
        content = await compose(uow.session, district, week, now=now, **(
            {"min_facts": uow.settings.ranking_min_facts} if uow.settings is not None else {}))
        row = dict(id=uuid4(), district_id=district, week=week, generated_at=now, generated_by=by,
                   content=content.as_json(), html=render_html(content), pdf=render_pdf(content))
        statement = pg_insert(tables.bulletins).values(row)
        if replace:
            statement = statement.on_conflict_do_update(index_elements=[_b.district_id, _b.week], set_={
                k: statement.excluded[k] for k in ("generated_at", "generated_by", "content", "html", "pdf")})
        else:
            statement = statement.on_conflict_do_nothing()
        stored = await uow.session.execute(statement.returning(_b.id))
        return stored.first() is not None


async def publish_last_week(uow_factory: UnitOfWorkFactory, *, now: datetime) -> list[str]:
    """After a week ends, its bulletin for every jurisdiction that lacks one (the schedule)."""
    week = week_of((now - timedelta(days=7)).astimezone(LOCAL_ZONE))
    async with uow_factory() as uow:
        districts = (await uow.session.execute(select(tables.jurisdictions.c.id))).scalars().all()
    published = [d for d in districts if await generate(uow_factory, d, week, by="schedule", replace=False, now=now)]
    for district in published:
        log.info("weekly bulletin published", jurisdiction=district, week=week)
    return published
