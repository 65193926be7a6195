"""Supervision's tables: jurisdictions' calendars, time-limit policies, the deadlines it keeps, what it knows of each
case, reopened rounds and extension requests."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
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

from shared.http.idempotency import idempotency_table
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

# Where each case lies and which unit has it, from dispatch's events.
cases = Table(
    "cases", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("district_id", Text, nullable=False),
    Column("street_id", Text, nullable=False),
    Column("grid_id", Text, nullable=False),
    Column("category_code", Text, nullable=False),
    Column("unit_id", Text),
    Column("status", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("cases_district", "district_id", "status"),
)

# One reopening per completion round, however many residents judge that round unsatisfactory.
reopenings = Table(
    "reopenings", metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("reopened_at", DateTime(timezone=True), nullable=False),
)

extension_requests = Table(
    "extension_requests", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("district_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("proposed_date", Date, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("requested_by_event", Text, nullable=False, unique=True),
    Column("status", Text, nullable=False),  # pending, approved, refused
    Column("due_at", DateTime(timezone=True)),
    Column("decided_by", Text),
    Column("decision_reason", Text),
    Column("decided_at", DateTime(timezone=True)),
    Index("extension_requests_pending", "district_id", "requested_at", postgresql_where=text("status = 'pending'")),
)

idempotency_keys = idempotency_table(metadata)
