"""What residents' representatives say of a case beyond the verdict: a resident supervisor's observation on its
timeline; wide-impact cases, and the three-party panels that rate the units that handled them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.supervision.adapters.store import CaseRecord, Panel, SupervisionStore, TimelineLine
from services.supervision.commands import deadlines
from services.supervision.domain.certificates import covers
from services.supervision.domain.panels import PARTIES, PARTY_NAMES, missing_parties, on_docket
from services.supervision.domain.periods import period_bounds
from services.supervision.domain.statuses import CaseStatus
from shared.events import CaseObserved, CasePanelRated
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_name, mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused
from shared.scopes import within


async def observed_case(uow: UnitOfWork, case_id: UUID, *, jurisdiction: str, areas: Collection[str]) -> CaseRecord:
    """The case, if the certificate covers it (else, as for a case that does not exist, a 404)."""
    case = await uow.store.case(case_id)
    if case is None or not covers(areas, jurisdiction, district_id=case.district_id, street_id=case.street_id,
                                  community_id=case.community_id, grid_id=case.grid_id):
        raise Refused("not_found", "no such case in the certificate's areas", "case_id", status=404)
    return case


async def observe(uow: UnitOfWork, case_id: UUID, *, certificate_number: str, jurisdiction: str,
                  areas: Collection[str], text: str) -> TimelineLine:
    """A resident supervisor's observation: on supervision's timeline of the case and to the units (numbers
    masked)."""
    await observed_case(uow, case_id, jurisdiction=jurisdiction, areas=areas)
    now = datetime.now(UTC)
    text = mask_personal_text(text)
    line = TimelineLine(case_id, now, "observation", None, text[:500], f"resident supervisor {certificate_number}")
    await uow.store.log([line])
    uow.record(CaseObserved(case_id=case_id, certificate_number=certificate_number, text=text, observed_at=now))
    return line


async def mark_wide_impact(uow: UnitOfWork, case_id: UUID, *, reason: str, scope: tuple[str, ...],
                           by: str) -> CaseRecord:
    """A case whose result goes before the quarter's panel, whatever the number of residents who reported it."""
    case = await uow.store.case(case_id)
    if case is None or not within(scope, case.area_ids):
        raise Refused("not_found", "no such case", "case_id", status=404)
    case = await uow.store.update_case(case_id, wide_impact=True)
    await deadlines.log(uow, case_id, datetime.now(UTC), "wide_impact", None, mask_personal_text(reason), actor=by)
    return case


async def seat_panel(uow: UnitOfWork, *, quarter: str, street_id: str, members: list[tuple[str, str]],
                     scope: tuple[str, ...], by: str) -> Panel:
    """A three-party panel of a street and a quarter: (party, name) per member, names kept masked; a street within
    the supervisor's scope (a community's supervisor seats none: the panel is the street's)."""
    jurisdiction = scope[0]
    if not within(scope, (jurisdiction, street_id)):
        raise Refused("outside_scope", "that street is outside your scope", "street_id", status=403)
    missing = missing_parties(party for party, _ in members)
    if missing:
        raise Refused("panel_incomplete", f"the panel needs a representative of: {', '.join(missing)}", "members")
    panel = Panel(id=uuid4(), district_id=jurisdiction, quarter=quarter, street_id=street_id,
                  members=[{"party": party, "name": mask_name(name)} for party, name in members], created_by=by,
                  created_at=datetime.now(UTC))
    await uow.store.add_panel(panel)
    return panel


async def rate_case(uow: UnitOfWork, panel_id: UUID, case_id: UUID, *, scores: dict[str, int], comment: str | None,
                    scope: tuple[str, ...], by: str) -> str | None:
    """The panel's rating of the unit that handled a case on its docket, once per case; the comment as kept."""
    store: SupervisionStore = uow.store
    panel = await store.panel(panel_id)
    if panel is None or not within(scope, (panel.district_id, panel.street_id)):
        raise Refused("not_found", "no such panel", "panel_id", status=404)
    case = await store.case(case_id)
    if case is None or not on_docket(panel_district=panel.district_id, panel_street=panel.street_id,
                                     quarter=period_bounds(panel.quarter, LOCAL_ZONE), district_id=case.district_id,
                                     street_id=case.street_id, wide_impact=case.wide_impact,
                                     completed_at=case.completed_at if case.status == CaseStatus.COMPLETED else None):
        raise Refused("not_on_docket", "the case is not on this panel's docket", "case_id")
    now = datetime.now(UTC)
    comment = mask_personal_text(comment) if comment else None
    if not await store.add_rating(panel_id, case_id, unit_id=case.unit_id, scores=scores, comment=comment, at=now):
        raise Refused("already_rated", "this panel rated this case already", "case_id", status=409)
    uow.record(CasePanelRated(case_id=case_id, unit_id=case.unit_id, panel_id=panel_id, quarter=panel.quarter,
                              rated_at=now, **scores))
    await deadlines.log(uow, case_id, now, "panel_rated", case.unit_id,
                        f"三方评议（{panel.quarter}）：" + "，".join(f"{PARTY_NAMES.get(p, p)}{scores[p]}分" for p in PARTIES),
                        actor=by)
    return comment
