"""Idempotency keys: a retried mutating request gets the first answer instead of acting twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.http.errors import ApiError

#: Version 1 of the table; a service's migration applies it when its first mutating route takes keys.
IDEMPOTENCY_DDL_V1 = ("""
    CREATE TABLE idempotency_keys (
        scope text NOT NULL, key text NOT NULL, request_hash text NOT NULL, status_code integer,
        response jsonb, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, key))""",)

#: The optional request header, as a route parameter.
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", pattern=r"^[A-Za-z0-9_.:\-]{8,128}$",
                                              description="Retrying with the same key returns the first answer")]


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys", metadata,
        Column("scope", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        Column("request_hash", Text, nullable=False),
        Column("status_code", Integer),
        Column("response", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class FirstAnswer:
    status_code: int
    body: dict


class IdempotencyGuard:
    """Used inside the request's transaction: ``claim`` first, ``remember`` the answer before commit."""

    def __init__(self, table: Table, *, scope: str):
        self.table, self.scope = table, scope

    async def claim(self, session: AsyncSession, key: str, payload: dict) -> FirstAnswer | None:
        """``None`` if the key is new (go ahead); else the first answer. The same key with another body is a 422."""
        digest = request_hash(payload)
        # A concurrent request with the same key waits here on the primary key until the first one commits.
        inserted = await session.scalar(pg_insert(self.table).values(scope=self.scope, key=key, request_hash=digest)
                                        .on_conflict_do_nothing().returning(self.table.c.key))
        if inserted is not None:
            return None
        t = self.table.c
        row = (await session.execute(select(self.table).where(t.scope == self.scope, t.key == key))).one()
        if row.request_hash != digest:
            raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used for a different request",
                           "Idempotency-Key")
        return FirstAnswer(row.status_code, row.response)

    async def remember(self, session: AsyncSession, key: str, status_code: int, body: dict) -> None:
        t = self.table.c
        await session.execute(update(self.table).where(t.scope == self.scope, t.key == key)
                              .values(status_code=status_code, response=body))
