"""Intake's tables: the areas and category tree it owns, reporters (personal data), cases and their timelines."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
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
idempotency_keys = idempotency_table(metadata)

areas = Table(
    "areas", metadata,
    Column("id", Text, primary_key=True),
    Column("level", Text, nullable=False),
    Column("parent_id", Text),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("polygon", JSONB, nullable=False),
)

# Bumped by every change to the areas, so each process knows when to rebuild its map of grids.
ground_version = Table(
    "ground_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

categories = Table(
    "categories", metadata,
    Column("code", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("class_code", Text, nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("time_limit_class", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("handle_locally", Boolean, nullable=False),
    Column("keywords", JSONB, nullable=False),
    Column("current", Boolean, nullable=False),
    # One current version per sub-item; cases keep the version they were filed under.
    Index("categories_one_current", "code", unique=True, postgresql_where=text("current")),
)

reporters = Table(
    "reporters", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text),
    Column("phone", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

cases = Table(
    "cases", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tracking_code", Text, nullable=False, unique=True),
    Column("category_code", Text, nullable=False),
    Column("category_version", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("address", Text),
    Column("grid_id", Text, nullable=False),
    Column("reporter_id", UUID(as_uuid=True), ForeignKey("reporters.id")),
    Column("anonymous", Boolean, nullable=False),
    Column("status", Text, nullable=False),
    Column("unit_name", Text),
    Column("expected_at", DateTime(timezone=True)),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["category_code", "category_version"], ["categories.code", "categories.version"]),
)

timeline = Table(
    "case_timeline", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("text_zh", Text, nullable=False),
    Column("text_en", Text, nullable=False),
    Column("event_id", Text),
    UniqueConstraint("case_id", "kind", "event_id"),
)
