"""The unit directory and the routing rules as an admin edits them: every unit a change names must exist, a unit is
not its own parent; every change reloads routing in every process."""

from __future__ import annotations

from services.dispatch.adapters.store import DispatchStore
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def require_units(store: DispatchStore, unit_ids, *, field: str = "unit_id") -> None:
    """Every unit named must be in the directory (an unknown one is a 422 naming it and ``field``)."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return
    known = await store.known_units(unit_ids)
    unknown = sorted(unit_ids - known)
    if unknown:
        raise Refused("unknown_unit", f"no such unit: {', '.join(unknown)}", field)


async def _check_parent(store: DispatchStore, unit_id: str, parent_id: str | None) -> None:
    if parent_id is None:
        return
    if parent_id == unit_id:
        raise Refused("invalid_parent", "a unit is not its own parent", "parent_id")
    await require_units(store, [parent_id], field="parent_id")


async def add_unit(uow: UnitOfWork, unit: dict) -> None:
    await _check_parent(uow.store, unit["id"], unit.get("parent_id"))
    if not await uow.store.add_unit(unit):
        raise Refused("unit_exists", "a unit with this id exists; edit it instead", "id", status=409)


async def edit_unit(uow: UnitOfWork, unit_id: str, unit: dict) -> None:
    await _check_parent(uow.store, unit_id, unit.get("parent_id"))
    if not await uow.store.edit_unit(unit_id, unit):
        raise Refused("not_found", "no such unit", "unit_id", status=404)


async def import_units(uow: UnitOfWork, units: dict[str, tuple[int, dict]], *,
                       dry_run: bool) -> tuple[list[str], list[str], list[int]]:
    """Units read from a file (id → (row number, unit)), applied together unless ``dry_run``: the ids created, the
    ids updated, and the row numbers refused because their parent is neither in the directory nor in the file."""
    existing = await uow.store.unit_ids()
    units, orphans = dict(units), []
    for unit_id, (number, unit) in list(units.items()):
        parent = unit.get("parent_id")
        if parent is not None and (parent == unit_id or parent not in existing | units.keys()):
            orphans.append(number)
            del units[unit_id]  # a later row naming it as parent is refused too
    if units and not dry_run:
        await uow.store.save_units([unit for _, unit in units.values()])
    return sorted(i for i in units if i not in existing), sorted(i for i in units if i in existing), orphans


async def _check_rule_units(store: DispatchStore, rule: dict) -> None:
    await require_units(store, [rule["lead_unit_id"]] if rule.get("lead_unit_id") else [], field="lead_unit_id")
    await require_units(store, rule.get("assisting", []), field="assisting")


async def add_rule(uow: UnitOfWork, rule: dict) -> None:
    await _check_rule_units(uow.store, rule)
    if not await uow.store.add_rule(rule):
        raise Refused("rule_exists", "a rule with this id exists; edit it instead", "id", status=409)


async def edit_rule(uow: UnitOfWork, rule_id: str, rule: dict) -> None:
    await _check_rule_units(uow.store, rule)
    if not await uow.store.edit_rule(rule_id, rule):
        raise Refused("not_found", "no such rule", "rule_id", status=404)


async def remove_rule(uow: UnitOfWork, rule_id: str) -> None:
    """Cases the rule routed keep their record of it."""
    if not await uow.store.remove_rule(rule_id):
        raise Refused("not_found", "no such rule", "rule_id", status=404)
