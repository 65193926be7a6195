"""An owner publishes its reference entries that differ from what it last published: called in every unit of work
that edits them and once at start (data loaded by a migration, a seed or by hand is published too)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.events.contract import Event
from shared.reference import tables

_UNCOMPARED = frozenset({"changed_at"})


def _digest(event: Event) -> str:
    data = event.model_dump(mode="json", exclude=set(_UNCOMPARED))
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def publish_changed(uow, entries: Iterable[Event]) -> int:
    """Record (in ``uow``'s outbox) each entry whose content changed since it was last published; returns how many."""
    entries = {f"{e.type}:{e.key}": e for e in entries}
    if not entries:
        return 0
    known = dict((await uow.session.execute(
        select(tables.published.c.key, tables.published.c.digest).where(tables.published.c.key.in_(entries)))).all())
    changed = [(key, event, digest) for key, event in entries.items()
               if known.get(key) != (digest := _digest(event))]
    for _, event, _ in changed:
        uow.record(event)
    if changed:
        statement = insert(tables.published)
        await uow.session.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"digest": statement.excluded.digest}),
            [{"key": key, "digest": digest} for key, _, digest in changed])
    return len(changed)
