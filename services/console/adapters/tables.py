"""The console's tables: staff accounts and their sessions, and its read model of every case (fed by the events of
all four services)."""

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Index, Integer, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.messaging.tables import messaging_tables
from shared.reference.tables import add_reference_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
add_reference_tables(metadata)

accounts = Table(
    "accounts", metadata,
    Column("username", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("role", Text, nullable=False),
    Column("jurisdiction", Text, nullable=False),
    Column("scope", JSONB, nullable=False),  # the area path from the district down
    Column("unit_id", Text),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in", DateTime(timezone=True)),
)

sessions = Table(
    "sessions", metadata,
    Column("id_hash", Text, primary_key=True),  # the cookie's value, hashed
    Column("username", Text, nullable=False),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index("sessions_user", "username"),
)

# One row per case, folded from every service's events as they arrive (in any order across topics).
cases = Table(
    "cases", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tracking_code", Text),
    Column("category_code", Text),
    Column("district_id", Text),
    Column("street_id", Text),
    Column("community_id", Text),
    Column("grid_id", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("channel", Text),
    Column("urgent", Boolean, nullable=False, server_default="false"),
    Column("description", Text),
    Column("residents_affected", Integer, nullable=False, server_default="1"),
    Column("reported_at", DateTime(timezone=True)),
    Column("status", Text, nullable=False, server_default="received"),
    Column("unit_id", Text),
    Column("clock_state", Text),  # warned | breached | None
    Column("escalation_level", Text),
    Column("awaiting_verdict", Boolean, nullable=False, server_default="false"),
    Column("address", Text),
    Column("photo_ids", JSONB, nullable=False, server_default="[]"),  # the report's photos (intake serves them)
    Column("unit_ids", JSONB, nullable=False, server_default="[]"),  # the lead unit first, then those assisting
    Column("given_at", DateTime(timezone=True)),  # when the units last got it: older clocks are not theirs
    # {unit: {deadline kind: {"due": iso, "set": iso}}}, as supervision set them
    Column("clocks", JSONB, nullable=False, server_default="{}"),
    Column("summons", JSONB),  # joint handling: {"units": [...], "check_in_by": iso, "missed": [...]}
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("cases_open", "status", "reported_at"),
    Index("cases_units", "unit_ids", postgresql_using="gin"),
    Index("cases_reported", "reported_at", postgresql_where=text("reported_at IS NOT NULL")),
    Index("cases_listed", text("reported_at DESC NULLS LAST"), "id"),
    Index("cases_changed", "updated_at"),
)

# Every step of a case as the console heard it, from whichever service: the case page's merged timeline.
case_lines = Table(
    "case_lines", metadata,
    Column("event_id", Text, primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("service", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("text_zh", Text, nullable=False),
    Column("text_en", Text, nullable=False),
    Index("case_lines_case", "case_id", "at"),
)

# The areas' boundaries (GeoJSON, lon/lat), as intake publishes them: the board's map, drawn without a tile server.
area_shapes = Table(
    "area_shapes", metadata,
    Column("area_id", Text, primary_key=True),
    Column("level", Text, nullable=False),
    Column("parent_id", Text),
    Column("polygon", JSONB, nullable=False),
)

# What each service said of itself, every sample (the operations page charts the last hour; two hours are kept).
operations_samples = Table(
    "operations_samples", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("service", Text, nullable=False),
    Column("status", Text, nullable=False),  # ready | degraded | not_ready | unreachable
    Column("outbox_backlog", Integer),
    Column("consumer_lag", Integer),
    Column("reasons", JSONB, nullable=False, server_default="[]"),
    Column("requests", Float),  # counters since the service started
    Column("errors", Float),
    Column("dead_lettered", Float),
    Index("operations_samples_at", "service", "at"),
)

# Dead-lettered records a person sent back to their topic: who, when (the audit of every re-drive).
redriven = Table(
    "redriven", metadata,
    Column("dead_letter", Text, primary_key=True),  # "<topic>.dlt:<partition>:<offset>"
    Column("by_username", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Sign-ins started at an identity provider and not yet come back: the state, nonce and PKCE verifier to check.
oidc_logins = Table(
    "oidc_logins", metadata,
    Column("state", Text, primary_key=True),
    Column("nonce", Text, nullable=False),
    Column("code_verifier", Text, nullable=False),
    Column("next_path", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
