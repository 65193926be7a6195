"""Notification's tables: what it knows of each case's recipients, the delivery log, admins' template overrides,
partners' webhook endpoints and the messages and attempts sent to them."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.messaging.tables import messaging_tables
from shared.persistence.versioned_cache import version_table
from shared.reference.tables import add_reference_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
add_reference_tables(metadata)

# Masked contact only: the full number stays in intake and is fetched by an audited call when a message is sent.
# Where the case lies, who supervises it and whether it is urgent decide who else is told, and when.
recipients = Table(
    "case_recipients", metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("reporter_ref", Text),
    Column("phone_masked", Text),
    Column("tracking_code", Text),
    Column("district_id", Text),
    Column("street_id", Text),
    Column("supervisor_id", Text),
    Column("urgent", Boolean, nullable=False, server_default="false"),
    Column("category_code", Text),
    Column("reply_to", Text),  # a messaging group and the resident's message in it, to answer there
    Column("waiting", Boolean, nullable=False, server_default="false"),  # messages wait for the report
    Column("community_id", Text),
    Column("grid_id", Text),
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
    Column("data", JSONB),  # the event's data, to render a message that waits for the resident's contact
    Column("locale", Text, nullable=False, server_default="zh"),
    Column("read_at", DateTime(timezone=True)),
    Column("not_before", DateTime(timezone=True)),  # quiet hours: not sent before this
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("fallbacks", ARRAY(Text), nullable=False, server_default="{}"),  # the channels to try if this one fails
    UniqueConstraint("event_id", "audience", "recipient"),
    Index("deliveries_inbox", "recipient", "id", postgresql_where=text("channel = 'inbox'")),
    Index("deliveries_queued", "id", postgresql_where=text("status = 'queued'")),
    Index("deliveries_sent_to", "recipient", "updated_at",
          postgresql_where=text("status = 'delivered' AND channel <> 'inbox'")),
)

# How staff are reached: a unit's, a supervisor's or a leader's work e-mail address (not residents' data) and the
# language their messages are written in.
contact_points = Table(
    "contact_points", metadata,
    Column("recipient", Text, primary_key=True),  # unit:…, supervisor:…, leader:…
    Column("email", Text),
    Column("locale", Text, nullable=False, server_default="zh"),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
contact_points_version = version_table("contact_points_version", metadata)

# Admins' overrides of the catalogue's templates, each checked when saved.
templates = Table(
    "templates", metadata,
    Column("event_type", Text, primary_key=True),
    Column("audience", Text, primary_key=True),
    Column("template", Text, primary_key=True),
    Column("locale", Text, primary_key=True),
    Column("source", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
templates_version = version_table("templates_version", metadata)

# Partners' webhook endpoints: what they asked for (event types, areas) and the secret their messages are signed with
# (shown once, at registration).
webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("partner", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("areas", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False),  # active, disabled
    Column("disabled_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failing_since", DateTime(timezone=True)),  # the first failure since the last success
    Index("webhook_endpoints_active", "status", postgresql_where=text("status = 'active'")),
)
webhook_endpoints_version = version_table("webhook_endpoints_version", metadata)

# One message per endpoint per event, whatever the redeliveries; its id is the webhook-id of every attempt, its
# payload the exact bytes signed each time.
webhook_messages = Table(
    "webhook_messages", metadata,
    Column("id", Text, primary_key=True),
    Column("endpoint_id", UUID(as_uuid=True), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", Text, nullable=False),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("step", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", Text, nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("endpoint_id", "event_id"),
    Index("webhook_messages_due", "endpoint_id", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("webhook_messages_of_endpoint", "endpoint_id", "created_at"),
)

# Steps partners may see that were read before their case's report: held until it says where the case lies (area
# filters need it), then told.
held_notices = Table(
    "held_notices", metadata,
    Column("event_id", Text, primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("event_type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

# Every attempt, for the partner's delivery log.
webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("message_id", Text, ForeignKey("webhook_messages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
)
