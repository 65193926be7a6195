"""The operations page, for those who keep gridlink running: each service's readiness now and over the last hour
(outbox backlog, consumer lag, server errors, dead-lettered records, as small charts), what makes a service work
less well (a missing calendar year), the dead-lettered records themselves and their re-drive (audited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.console.adapters import tables
from services.console.api.rendering import page, shown_time, to_sign_in
from services.console.api.session import CurrentUser, csrf_matches, language
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.local_time import LOCAL_ZONE
from shared.messaging.dead_letters import read_dead_letters, redrive
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label
from shared.refusals import Refused

router = APIRouter(include_in_schema=False)
SERVICES = ("intake", "dispatch", "supervision", "notification", "console")
_s = tables.operations_samples.c


def _series(samples: list, field: str, *, per_interval: bool = False) -> list[float]:
    """A figure over the samples; counters become what was added between two samples (a restart counts from 0)."""
    values = [getattr(s, field) for s in samples if getattr(s, field) is not None]
    if not per_interval:
        return values
    return [max(0.0, b - a) if b >= a else b for a, b in zip(values, values[1:], strict=False)]


def _reason(reason: str, names, lang: str) -> str:
    """A degradation in words: its kind named, the area in it named (``calendar_year_missing: cn-changning 2027``)."""
    code, _, detail = reason.partition(":")
    words = [names.area(w, lang) if names.entries.get(("area", w)) else w for w in detail.split()]
    return f"{label('degradation', code.strip(), lang)}{'：' if lang != 'en' else ': '}{' '.join(words)}"


@router.get("/operations", response_class=HTMLResponse)
async def operations(request: Request, user: CurrentUser, session: ReadSession) -> Response:
    if user is None:
        return to_sign_in(request)
    if user.account.role is not Role.ADMIN:
        return RedirectResponse("/board", status_code=303)
    lang, names = language(request), await kept_names(session)
    since = datetime.now(UTC) - timedelta(hours=1)
    rows = (await session.execute(select(tables.operations_samples).where(_s.at >= since).order_by(_s.at))).all()
    services = []
    for name in SERVICES:
        samples = [r for r in rows if r.service == name]
        latest = samples[-1] if samples else None
        requests, errors = _series(samples, "requests", per_interval=True), _series(samples, "errors",
                                                                                     per_interval=True)
        services.append(dict(
            name=name, status=latest.status if latest else "unknown",
            reasons=[_reason(r, names, lang) for r in (latest.reasons if latest else [])],
            at=shown_time(latest.at, "%H:%M:%S") if latest else "", backlog=_series(samples, "outbox_backlog"),
            lag=_series(samples, "consumer_lag"), dead_lettered=_series(samples, "dead_lettered", per_interval=True),
            error_rate=[round(e / r * 100, 1) if r else 0.0 for e, r in zip(errors, requests, strict=False)]))
    runtime = request.app.state.runtime
    try:
        letters = await read_dead_letters(runtime.settings.kafka_bootstrap_servers, limit=100)
    except Exception:  # the broker away: the page still shows the services
        letters = None
    redone = {r.dead_letter: r for r in (await session.execute(select(tables.redriven))).all()}
    return page(request, "operations.html", user=user.account, csrf=user.csrf_token, services=services,
                letters=[dict(ref=d.ref, topic=d.original_topic, reason=d.reason, error=d.error, consumer=d.consumer,
                              type=d.event_type, at=shown_time(datetime.fromtimestamp(d.timestamp_ms / 1000, UTC)),
                              redriven=redone.get(d.ref)) for d in reversed(letters)] if letters is not None
                else None, now=shown_time(datetime.now(UTC)), done=request.query_params.get("done"), zone=LOCAL_ZONE)


@router.post("/operations/dead-letters/redrive")
async def redrive_dead_letter(request: Request, user: CurrentUser, session: ReadSession,
                              ref: Annotated[str, Form(max_length=200, pattern=r"^[a-z.]+\.dlt:\d{1,4}:\d{1,18}$")],
                              csrf: Annotated[str, Form(max_length=100)]) -> Response:
    """Send a dead-lettered record back to its topic, once, and note who did."""
    if user is None:
        return to_sign_in(request)
    if user.account.role is not Role.ADMIN:
        raise Refused("forbidden_role", "only an administrator re-drives dead letters", status=403)
    if not csrf_matches(user.csrf_token, csrf):
        raise Refused("csrf_failed", "the form is stale: reload the page and try again", "csrf", status=403)
    claimed = await session.scalar(pg_insert(tables.redriven).values(
        dead_letter=ref, by_username=user.account.username, at=datetime.now(UTC)).on_conflict_do_nothing()
        .returning(tables.redriven.c.dead_letter))
    if claimed is None:
        raise Refused("already_redriven", "this record was sent back already", "ref", status=409)
    topic, partition, offset = ref.rsplit(":", 2)
    runtime = request.app.state.runtime
    sent = await redrive(runtime.settings.kafka_bootstrap_servers, runtime.producer, topic, int(partition),
                         int(offset))
    if sent is None:
        await session.rollback()
        raise Refused("not_found", "no such dead-lettered record", "ref", status=404)
    await session.commit()
    return RedirectResponse("/operations?done=redrive", status_code=303)
