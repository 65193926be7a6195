"""The linkage centre's board in plain Python: the states a case is counted under, and their names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: The board's counts, in the order the centre reads them; a case may be counted under several (signed and warned).
BUCKETS = ("received", "triage", "dispatched", "signed", "in_progress", "warned", "breached", "supervision_order",
           "awaiting_verdict", "reopened")
BUCKET_NAMES = {
    "received": ("已受理", "received"), "triage": ("待分拨", "in triage"), "dispatched": ("已派发", "dispatched"),
    "signed": ("已签收", "signed for"), "in_progress": ("办理中", "in progress"), "warned": ("黄色预警", "warned"),
    "breached": ("红色超时", "breached"), "supervision_order": ("督办中", "under supervision order"),
    "awaiting_verdict": ("待评价", "awaiting verdict"), "reopened": ("重新交办", "reopened"),
}
#: Steps of a case's handling (the read model's ``status``) that count as open.
OPEN_STATUSES = ("received", "triage", "on_claiming_board", "dispatched", "signed", "in_progress", "reopened")


def buckets_of(case: Mapping) -> list[str]:
    """The board's states a read-model case is counted under."""
    found = []
    status = case["status"]
    if status in ("received", "triage", "dispatched", "signed", "in_progress", "reopened"):
        found.append(status)
    if status == "on_claiming_board":
        found.append("triage")
    if case.get("clock_state") == "warned" and status in OPEN_STATUSES:
        found.append("warned")
    if case.get("clock_state") == "breached" and status in OPEN_STATUSES:
        found.append("breached")
    if case.get("escalation_level") and status in OPEN_STATUSES:
        found.append("supervision_order")
    if status == "completed" and case.get("awaiting_verdict"):
        found.append("awaiting_verdict")
    return found


def counts(cases: Iterable[Mapping]) -> dict[str, int]:
    """How many cases each of the board's states holds."""
    result = dict.fromkeys(BUCKETS, 0)
    for case in cases:
        for bucket in buckets_of(case):
            result[bucket] += 1
    return result
