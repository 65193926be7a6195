"""Supervision's tables: jurisdictions' calendars, time-limit policies, and the deadlines it keeps."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

jurisdictions = Table(
    "jurisdictions", metadata,
    Column("id", Text, primary_key=True),
    Column("timezone", Text, nullable=False),
    Column("working_hours", JSONB, nullable=False),
)

policies = Table(
    "time_limit_policies", metadata,
    Column("jurisdiction_id", Text, ForeignKey("jurisdictions.id"), primary_key=True),
    Column("time_limit_class", Text, primary_key=True),
    Column("sign_for_hours", Float, nullable=False),
    Column("completion_days", Integer),
    Column("completion_hours", Float),
    Column("clock", Boolean, nullable=False),
)

deadlines = Table(
    "deadlines", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("next_fire_at", DateTime(timezone=True)),
    Column("policy", Text, nullable=False),
    Column("opened_by_event", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The poller's index: only open deadlines, by when they next need attention.
    Index("deadlines_due", "next_fire_at", postgresql_where=text("status = 'open'")),
    Index("deadlines_case", "case_id"),
    # One deadline of each kind per dispatch, however often the dispatch event is delivered.
    UniqueConstraint("opened_by_event", "kind"),
)
