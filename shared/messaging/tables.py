"""The outbox and inbox tables every service carries in its own database, and their versioned DDL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB

# xid8 of the writing transaction, as bigint: the relay publishes a row only once every transaction that
# could still commit a lower id has finished (see relay.py).
CURRENT_TXID = text("(pg_current_xact_id()::text)::bigint")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Text, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("event_time", DateTime(timezone=True), nullable=False),
        Column("correlation_id", Text, nullable=False),
        Column("causation_id", Text),
        Column("data", JSONB, nullable=False),
        Column("txid", BigInteger, nullable=False, server_default=CURRENT_TXID),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox", metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)


#: Version 1 of the messaging schema; every service's first migration applies it.
MESSAGING_DDL_V1 = (
    """
    CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        topic text NOT NULL,
        key text NOT NULL,
        type text NOT NULL,
        source text NOT NULL,
        subject text NOT NULL,
        event_time timestamptz NOT NULL,
        correlation_id text NOT NULL,
        causation_id text,
        data jsonb NOT NULL,
        txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
    )
    """,
    "CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
    """
    CREATE TABLE inbox (
        consumer text NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
    )
    """,
)
