"""Dispatch's tables: the unit directory, routing rules, cases with their handling state, and their history."""

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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

from shared.http.idempotency import idempotency_table
from shared.messaging.tables import messaging_tables
from shared.persistence.versioned_cache import version_table
from shared.reference.tables import add_reference_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
add_reference_tables(metadata)

units = Table(
    "units", metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("parent_id", Text),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("areas", JSONB, nullable=False),
    Column("categories", JSONB, nullable=False),
    Column("contact", Text),
    Column("hours", Text),
)

rules = Table(
    "routing_rules", metadata,
    Column("id", Text, primary_key=True),
    Column("category", Text),
    Column("area", Text),
    Column("lead_unit_id", Text, ForeignKey("units.id")),
    Column("lead_kind", Text),
    Column("assisting", JSONB, nullable=False),
    Column("assisting_kind", Text),
    Column("local_only", Boolean, nullable=False),
)

# Bumped by every change to units or rules, so each process knows when to reload its routing directory.
directory_version = version_table("directory_version", metadata)

cases = Table(
    "cases", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("category_code", Text, nullable=False),
    Column("time_limit_class", Text, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("area", JSONB, nullable=False),
    Column("status", Text, nullable=False),
    Column("lead_unit_id", Text, ForeignKey("units.id")),
    Column("assisting_unit_ids", JSONB, nullable=False),
    Column("rule_id", Text),
    Column("version", Integer, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The rest of the life cycle's state (services/dispatch/lifecycle.py, CaseFile).
    Column("redo_count", Integer, nullable=False, server_default="0"),
    Column("excluded_unit_ids", JSONB, nullable=False, server_default="[]"),
    Column("parts_reported", JSONB, nullable=False, server_default="[]"),
    Column("transfer_to", Text),
    Column("state_before_transfer", Text),
    Column("summons", JSONB),
    Column("planned_date", Date),
    Column("extensions_requested", Integer, nullable=False, server_default="0"),
    # Supervision's clocks (case.deadline_set), so a unit sorts its queue by what is due first.
    Column("sign_due_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    # What automatic routing reads besides the sub-item and the area.
    Column("category_class", Text),
    Column("handle_locally", Boolean, nullable=False, server_default="false"),
    # Supervision's word: an extension request waiting for its decision, the escalation step reached.
    Column("extension_pending", Boolean, nullable=False, server_default="false"),
    Column("suspended", Text),
    Column("escalation_level", Text),
    Column("reply_by", DateTime(timezone=True)),
    # What the resident said and where, as intake published it (masked), for the units that must act on it.
    Column("description", Text, nullable=False, server_default=""),
    Column("address", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("channel", Text),
    Column("resident_photo_ids", JSONB, nullable=False, server_default="[]"),
    Column("residents_affected", Integer, nullable=False, server_default="1"),
    Column("suggested_category_code", Text),
    Column("source_kind", Text),
    Column("handed_in_on", Date),
    Index("cases_lead_unit", "lead_unit_id", "status"),
    Index("cases_lead_unit_due", "lead_unit_id", "due_at"),
    Index("cases_summons_due", text("(summons->>'check_in_by')"),
          postgresql_where=text("summons IS NOT NULL AND NOT (summons ? 'alerted')")),
)

# Photos units take on site (progress, completion): checked by content, metadata stripped, tied to the case on use.
photos = Table(
    "photos", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("unit_id", Text, ForeignKey("units.id"), nullable=False),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), index=True),
    Column("content_type", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("content", BYTEA, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("shown_to_residents", Boolean, nullable=False, server_default=text("false")),  # completed the case with
)

idempotency_keys = idempotency_table(metadata)

history = Table(
    "case_history", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", Text, nullable=False),
    Column("unit_id", Text),
    Column("rule_id", Text),
    Column("note", Text, nullable=False),
)
