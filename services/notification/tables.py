"""Notification's tables: what it knows of each case's recipients, and the delivery log."""

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import UUID

from shared.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

# Masked contact only: the full number stays in intake and is fetched by an audited call when a message is sent.
recipients = Table(
    "case_recipients", metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("reporter_ref", Text, nullable=False),
    Column("phone_masked", Text),
    Column("tracking_code", Text, nullable=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("audience", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("template", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("event_id", "audience", "recipient"),
)
