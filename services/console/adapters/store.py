"""The console's store: accounts and sessions, and the read model of cases, as its commands see them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.console.adapters import tables
from services.console.domain.accounts import Account
from shared.auth import Role
from shared.messaging.unit_of_work import UnitOfWork
from shared.reference.keeping import names as kept_names
from shared.reference.names import Names

_c = tables.cases.c


def account_of(row) -> Account:
    return Account(username=row.username, display_name=row.display_name, role=Role(row.role),
                   jurisdiction=row.jurisdiction, scope=tuple(row.scope), unit_id=row.unit_id,
                   failures=row.failures, locked_until=row.locked_until)


class ConsoleStore:
    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._session = uow.session

    async def names(self) -> Names:
        """The names of units, sub-items and areas, kept from their owners' events."""
        return await kept_names(self._session)

    # --- accounts and sessions --------------------------------------------------------------------------------------

    async def save_account(self, row: dict) -> bool:
        """Add an account; False when the username is taken."""
        created = await self._session.scalar(pg_insert(tables.accounts).values(**row).on_conflict_do_nothing()
                                             .returning(tables.accounts.c.username))
        return created is not None

    async def keep_federated_account(self, row: dict) -> None:
        """Add or refresh an account from an identity provider's word (its role, unit and scope may have changed)."""
        statement = pg_insert(tables.accounts).values(**row)
        await self._session.execute(statement.on_conflict_do_update(index_elements=["username"], set_={
            k: statement.excluded[k] for k in ("display_name", "role", "jurisdiction", "scope", "unit_id",
                                               "last_sign_in")}))

    async def save_oidc_login(self, row: dict) -> None:
        await self._session.execute(pg_insert(tables.oidc_logins).values(**row))

    async def take_oidc_login(self, state: str, not_before: datetime) -> dict | None:
        """The sign-in started with this state, once (it is removed), if it is recent enough."""
        row = (await self._session.execute(delete(tables.oidc_logins).where(
            tables.oidc_logins.c.state == state).returning(tables.oidc_logins))).first()
        return dict(row._mapping) if row is not None and row.created_at >= not_before else None

    async def account(self, username: str) -> tuple[Account, str] | None:
        """The account and its password hash, locked for the sign-in's update."""
        row = (await self._session.execute(select(tables.accounts).where(tables.accounts.c.username == username)
                                           .with_for_update())).first()
        return (account_of(row), row.password_hash) if row else None

    async def record_sign_in(self, username: str, *, failures: int, locked_until: datetime | None,
                             signed_in_at: datetime | None = None, password_hash: str | None = None) -> None:
        values = {"failures": failures, "locked_until": locked_until}
        if signed_in_at is not None:
            values["last_sign_in"] = signed_in_at
        if password_hash is not None:
            values["password_hash"] = password_hash
        await self._session.execute(update(tables.accounts).where(tables.accounts.c.username == username)
                                    .values(**values))

    async def open_session(self, id_hash: str, username: str, csrf_token: str, at: datetime) -> None:
        await self._session.execute(pg_insert(tables.sessions).values(
            id_hash=id_hash, username=username, csrf_token=csrf_token, created_at=at, last_seen=at))

    async def close_session(self, id_hash: str) -> None:
        await self._session.execute(delete(tables.sessions).where(tables.sessions.c.id_hash == id_hash))

    # --- the read model of cases ------------------------------------------------------------------------------------

    async def case_reported(self, case_id: UUID, values: dict, *, status: str, at: datetime) -> None:
        """The report's facts; its handling's state only if the case is new here (later steps may have come first)."""
        statement = pg_insert(tables.cases).values(id=case_id, status=status, updated_at=at, **values)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={k: statement.excluded[k] for k in values}))

    async def case_moved(self, case_id: UUID, at: datetime, **values) -> None:
        """A step of the case's handling (the row made if the report has not arrived yet)."""
        statement = pg_insert(tables.cases).values(id=case_id, updated_at=at, **values)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={"updated_at": at, **{k: statement.excluded[k] for k in values}}))

    async def case_clock(self, case_id: UUID, at: datetime, state: str) -> None:
        """A warning never hides a breach: ``breached`` stays until the unit's clocks start again."""
        statement = pg_insert(tables.cases).values(id=case_id, updated_at=at, clock_state=state)
        where = None if state == "breached" else (_c.clock_state.is_(None) | (_c.clock_state != "breached"))
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={"updated_at": at, "clock_state": state}, where=where))

    async def case_deadline(self, case_id: UUID, at: datetime, unit_id: str, kind: str, *, due_at: datetime,
                            set_at: datetime) -> None:
        """A unit's clock on the case, as supervision set it (a later setting of the same clock replaces it)."""
        clock = {"due": due_at.isoformat(), "set": set_at.isoformat()}
        units_clocks = func.coalesce(_c.clocks[unit_id], bindparam(None, {}, type_=JSONB))
        merged = _c.clocks.op("||")(func.jsonb_build_object(
            unit_id, units_clocks.op("||")(bindparam(None, {kind: clock}, type_=JSONB))))
        statement = pg_insert(tables.cases).values(id=case_id, updated_at=at, clocks={unit_id: {kind: clock}})
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={"updated_at": at, "clocks": merged}))

    async def case_missed_check_in(self, case_id: UUID, at: datetime, unit_ids: list[str],
                                   check_in_by: datetime) -> None:
        """The units that did not check in, kept with the summons (made if the whistle's event has not come yet)."""
        missed = {"units": unit_ids, "check_in_by": check_in_by.isoformat(), "missed": unit_ids}
        statement = pg_insert(tables.cases).values(id=case_id, updated_at=at, summons=missed)
        kept = func.coalesce(_c.summons, bindparam(None, missed, type_=JSONB))
        await self._session.execute(statement.on_conflict_do_update(index_elements=["id"], set_={
            "updated_at": at, "summons": kept.op("||")(bindparam(None, {"missed": unit_ids}, type_=JSONB))}))

    async def keep_shape(self, area_id: str, level: str, parent_id: str | None, polygon: dict) -> None:
        statement = pg_insert(tables.area_shapes).values(area_id=area_id, level=level, parent_id=parent_id,
                                                         polygon=polygon)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["area_id"], set_={k: statement.excluded[k] for k in ("level", "parent_id", "polygon")}))

    async def add_line(self, event_id: str, case_id: UUID, at: datetime, *, service: str, kind: str, text_zh: str,
                       text_en: str) -> None:
        """A line of the case's merged timeline, once per event."""
        await self._session.execute(pg_insert(tables.case_lines).values(
            event_id=event_id, case_id=case_id, at=at, service=service, kind=kind, text_zh=text_zh,
            text_en=text_en).on_conflict_do_nothing())
