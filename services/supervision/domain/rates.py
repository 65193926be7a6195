"""The rates in plain Python: the facts one case's events yield, and the rates, rankings and red and black lists
over facts. Definitions (also in docs/rates.md):

- response rate: of the units given a case whose sign-for time ended, the share that signed for it on time;
- on-time completion rate: of completions, the share done by the unit's completion deadline (as extended);
- return rate: of the units given a case, the share that gave it back (lower is better);
- redo rate: of completions, the share the resident judged unsatisfactory and that were handled again (lower is
  better);
- resolution rate: of verdicts, the share where the resident says the problem was solved;
- satisfaction rate: of verdicts, the share satisfied or basically satisfied;
- rebound rate: of completed cases, the share whose problem came back at the same place within the rebound window
  (lower is better);
- panel rate: of the three-party panels' ratings of a wide-impact case, the share whose three scores average 4 or
  more (of 5).

Each fact is (kind, case, unit, area, sub-item, moment, ok); a rate is the share of ok facts of its kind. Facts come
only from events, case by case, so replaying the same events gives the same facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from shared.events import (
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDispatched,
    CasePanelRated,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseReturned,
    CaseSigned,
    CaseTransferred,
    DeadlineKind,
    EvaluationSubmitted,
    Event,
    Verdict,
)


class Kind(StrEnum):
    RESPONSE = "response"
    ON_TIME = "on_time"
    RETURNED = "returned"
    REDO = "redo"
    RESOLVED = "resolved"
    SATISFIED = "satisfied"
    PANEL = "panel"
    REBOUND = "rebound"

    @property
    def lower_is_better(self) -> bool:
        return self in (Kind.RETURNED, Kind.REDO, Kind.REBOUND)


#: The events the rates are made of; supervision journals each as it consumes it (its own ones too).
RATED_EVENTS = (CaseDispatched, CaseRedispatched, CaseTransferred, CaseClaimed, CaseSigned, CaseCompleted,
                CaseReturned, CaseDeadlineSet, CaseDeadlineBreached, CaseReopened, EvaluationSubmitted,
                CasePanelRated)
#: A panel rating counts as good when the three parties' scores average this or more.
PANEL_GOOD = 4.0


@dataclass(frozen=True)
class Fact:
    kind: Kind
    case_id: UUID
    seq: int
    unit_id: str
    street_id: str
    grid_id: str
    category_code: str
    at: datetime
    ok: bool


@dataclass
class _Assignment:
    """One unit's turn with the case: a dispatch, a redispatch (a reopened round among them), a transfer, a claim."""

    unit_id: str
    started_at: datetime
    signed_at: datetime | None = None
    returned: bool = False
    return_reason: str | None = None
    sign_breached_due: datetime | None = None
    due: dict = field(default_factory=dict)  # kind -> (set_at, due_at): the latest word within this turn


def case_facts(events: Iterable[Event]) -> list[Fact]:
    """Every fact of one case, from its events in the order they were received.

    Each clock, signing, return and completion belongs to the unit's turn it happened in (the latest of that unit's
    turns begun by then), so a round reopened later cannot lend a late first signing its own, later deadline."""
    events = list(events)
    dispatched = next((e for e in events if isinstance(e, CaseDispatched)), None)
    if dispatched is None:
        return []  # never given to a unit: nothing to measure yet
    place = dict(street_id=dispatched.area.street_id, grid_id=dispatched.area.grid_id,
                 category_code=dispatched.category_code)
    assignments: list[_Assignment] = []
    deadlines: list[CaseDeadlineSet] = []
    breaches: list[CaseDeadlineBreached] = []
    signings: list[CaseSigned] = []
    returns: list[CaseReturned] = []
    completions: list[CaseCompleted] = []
    reopened: set[int] = set()
    verdicts: list[EvaluationSubmitted] = []
    panels: list[CasePanelRated] = []
    rebounds: list[datetime] = []
    for e in events:
        match e:
            case CaseDispatched() | CaseRedispatched() | CaseTransferred() | CaseClaimed():
                at = getattr(e, "dispatched_at", None) or getattr(e, "redispatched_at", None) or getattr(
                    e, "transferred_at", None) or e.claimed_at
                assignments.append(_Assignment(e.unit_id, at))
            case CaseDeadlineSet():
                deadlines.append(e)
            case CaseDeadlineBreached() if e.kind is DeadlineKind.SIGN_FOR:
                breaches.append(e)
            case CaseSigned():
                signings.append(e)
            case CaseReturned():
                returns.append(e)
            case CaseCompleted():
                completions.append(e)
            case CaseReopened():
                reopened.add(e.round)
            case EvaluationSubmitted():
                verdicts.append(e)
            case CasePanelRated():
                panels.append(e)
            case CaseReported() if e.rebound_of == dispatched.case_id:  # another case: this one's problem is back
                rebounds.append(e.reported_at)

    def turn(unit_id: str, at: datetime) -> _Assignment | None:
        """The unit's turn under way at ``at`` (its first if the moment comes before all of them)."""
        own = [a for a in assignments if a.unit_id == unit_id]
        begun = [a for a in own if a.started_at <= at]
        return begun[-1] if begun else (own[0] if own else None)

    for d in deadlines:
        a = turn(d.unit_id, d.set_at)
        if a is not None and (d.kind not in a.due or a.due[d.kind][0] <= d.set_at):
            a.due[d.kind] = (d.set_at, d.due_at)  # an extension, set later, moves it
    for b in breaches:
        a = turn(b.unit_id, b.breached_at)
        if a is not None and a.sign_breached_due is None:
            a.sign_breached_due = b.due_at
    for sig in signings:
        unsigned = [a for a in assignments if a.unit_id == sig.unit_id and a.signed_at is None]
        a = next((a for a in reversed(unsigned) if a.started_at <= sig.signed_at), unsigned[-1] if unsigned else None)
        if a is not None:
            a.signed_at = sig.signed_at
    for r in returns:
        a = turn(r.unit_id, r.returned_at)
        if a is not None:
            a.returned, a.return_reason = True, r.reason
    facts: list[tuple] = []
    for i, a in enumerate(assignments):
        # "Not our duty", accepted by the linkage centre (the case never came back to the unit), is a correct
        # return: it does not count against the unit.
        came_back = any(later.unit_id == a.unit_id for later in assignments[i + 1:])
        counted = a.returned and (a.return_reason != "not_our_duty" or came_back)
        facts.append((Kind.RETURNED, a.unit_id, a.started_at, counted))
        sign_due = a.due.get(DeadlineKind.SIGN_FOR, (None, None))[1]
        if a.signed_at is not None and sign_due is not None:
            facts.append((Kind.RESPONSE, a.unit_id, a.signed_at, a.signed_at <= sign_due))
        elif a.signed_at is None and a.sign_breached_due is not None:
            facts.append((Kind.RESPONSE, a.unit_id, a.sign_breached_due, False))
    for round_, c in enumerate(completions, start=1):
        a = turn(c.unit_id, c.completed_at)
        done_due = a.due.get(DeadlineKind.COMPLETION, (None, None))[1] if a is not None else None
        if done_due is not None:
            facts.append((Kind.ON_TIME, c.unit_id, c.completed_at, c.completed_at <= done_due))
        facts.append((Kind.REDO, c.unit_id, c.completed_at, round_ in reopened))
    completed_by = {round_: c.unit_id for round_, c in enumerate(completions, start=1)}
    judged: set[tuple[int, str | None]] = set()
    for v in verdicts:
        unit = completed_by.get(v.round)
        if unit is None or (v.round, v.reporter_ref) in judged:
            continue
        judged.add((v.round, v.reporter_ref))
        resolved = v.resolved if v.resolved is not None else v.verdict is not Verdict.DISSATISFIED
        facts.append((Kind.RESOLVED, unit, v.submitted_at, resolved))
        facts.append((Kind.SATISFIED, unit, v.submitted_at, v.verdict is not Verdict.DISSATISFIED))
    if completions:  # the last completion held, or the problem came back at the same place
        last = completions[-1]
        facts.append((Kind.REBOUND, last.unit_id, last.completed_at, any(t >= last.completed_at for t in rebounds)))
    for p in {p.panel_id: p for p in panels}.values():  # one panel rates a case once
        facts.append((Kind.PANEL, p.unit_id, p.rated_at, (p.community + p.party_member + p.resident) / 3 >= PANEL_GOOD))
    return [Fact(kind, dispatched.case_id, seq, unit, at=at, ok=ok, **place)
            for seq, (kind, unit, at, ok) in enumerate(facts)]


@dataclass(frozen=True)
class Rate:
    measured: int
    ok: int

    @property
    def value(self) -> float | None:
        return round(self.ok / self.measured, 4) if self.measured else None


@dataclass(frozen=True)
class Standing:
    key: str
    rates: Mapping[Kind, Rate]

    @property
    def measured(self) -> int:
        return sum(r.measured for r in self.rates.values())

    @property
    def score(self) -> float | None:
        """The mean of the rates it has, each turned so that higher is better."""
        values = [(1 - r.value) if k.lower_is_better else r.value for k, r in self.rates.items()
                  if r.value is not None]
        return round(sum(values) / len(values), 4) if values else None


def standings(counts: Iterable[tuple[str, Kind, int, int]]) -> list[Standing]:
    """``(key, kind, measured, ok)`` rows (as the database counts them) -> one standing per key, best first."""
    by_key: dict[str, dict[Kind, Rate]] = defaultdict(dict)
    for key, kind, measured, ok in counts:
        by_key[key][Kind(kind)] = Rate(measured, ok)
    result = [Standing(key, rates) for key, rates in by_key.items()]
    return sorted(result, key=lambda s: (-(s.score or 0), s.key))


def rankable(ranked: list[Standing], *, min_facts: int) -> list[Standing]:
    """Those with enough measured facts to be ranked at all: two cases say nothing of a unit."""
    return [s for s in ranked if s.measured >= min_facts]


def red_and_black(ranked: list[Standing], *, size: int = 3, min_measured: int = 5, red_from: float = 0.9,
                  black_below: float = 0.6) -> tuple[list[Standing], list[Standing]]:
    """The red list (红榜): the best few scoring at least ``red_from``; the black list (黑榜): the worst few below
    ``black_below``; both only among those with enough measured facts to be judged."""
    judged = [s for s in ranked if s.measured >= min_measured and s.score is not None]
    red = [s for s in judged if s.score >= red_from][:size]
    black = [s for s in reversed(judged) if s.score < black_below][:size]
    return red, black
