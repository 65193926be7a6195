"""Who may see a resident's contact and why: the reasons to choose from, the case's own supervisor, and how many
cases one person may reveal in an hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: Why a person needs to call a resident, as the hotline's practice knows them (Chinese first, English beside it).
REVEAL_REASONS = {
    "callback": ("回访核实办理结果", "call back to confirm the result"),
    "clarify": ("核实诉求内容或地点", "clarify what or where the problem is"),
    "visit": ("约定上门时间", "arrange a visit"),
    "urgent": ("紧急情况需联系", "an emergency needs the resident"),
    "dissatisfied": ("不满意件沟通", "talk over a result judged unsatisfactory"),
}

REVEAL_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class RevealCaller:
    """Who asks to see a contact: the audit names each of these."""

    subject: str
    role: str
    unit_id: str | None
    scope: tuple[str, ...]


def may_call_residents(caller: RevealCaller, case_supervisor: str | None) -> bool:
    """Operators call residents back; of supervisors, only the one watching the case."""
    if caller.role == "operator":
        return True
    return caller.role == "supervisor" and case_supervisor is not None and case_supervisor == caller.subject


def retry_after(revealed_cases: list[datetime], *, limit: int, now: datetime) -> float | None:
    """Seconds until the caller may reveal another case, given when each case revealed within the window was first
    revealed; None: now."""
    recent = sorted(at for at in revealed_cases if at > now - REVEAL_WINDOW)
    if len(recent) < limit:
        return None
    return (recent[len(recent) - limit] + REVEAL_WINDOW - now).total_seconds()
