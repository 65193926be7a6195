"""Supervision's tables: jurisdictions' working hours and calendars, time-limit policies, the clocks it keeps, what it
knows of each case and its timeline, reopened rounds and extension requests."""

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
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.http.idempotency import idempotency_table
from shared.messaging.tables import messaging_tables
from shared.persistence.versioned_cache import version_table
from shared.reference.tables import add_reference_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
add_reference_tables(metadata)

jurisdictions = Table(
    "jurisdictions", metadata,
    Column("id", Text, primary_key=True),
    Column("timezone", Text, nullable=False),
    Column("working_hours", JSONB, nullable=False),
)

# Per class of case, and per sub-item where it differs from its class (category_code '' means the whole class).
policies = Table(
    "time_limit_policies", metadata,
    Column("jurisdiction_id", Text, ForeignKey("jurisdictions.id"), primary_key=True),
    Column("time_limit_class", Text, primary_key=True),
    Column("sign_for_hours", Float, nullable=False),
    Column("completion_days", Integer),
    Column("completion_hours", Float),
    Column("clock", Boolean, nullable=False),
    Column("category_code", Text, primary_key=True, server_default=""),
    Column("warn_at", ARRAY(Float), nullable=False, server_default="{0.5,0.8}"),
    Column("pauses_for", ARRAY(Text), nullable=False, server_default="{waiting_for_resident}"),
    Column("max_extensions", Integer, nullable=False, server_default="1"),
    Column("max_extension_days", Integer, nullable=False, server_default="10"),
    Column("reply_hours", Float, nullable=False, server_default="8"),
    Column("callback_after_days", Integer, nullable=False, server_default="3"),
    Column("max_reopenings", Integer, nullable=False, server_default="2"),
)

# The years of a jurisdiction's calendar that are loaded (from the statutory calendar, or edited by hand) ...
calendar_years = Table(
    "calendar_years", metadata,
    Column("jurisdiction_id", Text, ForeignKey("jurisdictions.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("source", Text, nullable=False),  # statutory (chinese-calendar) or edited
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# ... and their exceptions to Monday-Friday: holidays on weekdays, adjusted working days on weekends.
calendar_days = Table(
    "calendar_days", metadata,
    Column("jurisdiction_id", Text, ForeignKey("jurisdictions.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("workday", Boolean, nullable=False),
    Column("name", Text, nullable=False),
)

# Bumped by every edit of policies, working hours or calendars, so every process reloads its time rules.
time_rules_version = version_table("time_rules_version", metadata)

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
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("warnings", JSONB, nullable=False, server_default="[]"),  # [[iso time, threshold], ...]
    Column("fired", Integer, nullable=False, server_default="0"),    # stages spoken so far
    Column("on_the_clock", Boolean, nullable=False, server_default="false"),
    Column("level", Text),  # the ladder's step, for a reply clock
    Column("paused_at", DateTime(timezone=True)),
    Column("breached_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("outcome", Text),  # met, late, answered, handed_over, returned, explained, superseded, unanswered
    # The poller's index: only open deadlines, by when they next need attention.
    Index("deadlines_due", "next_fire_at", postgresql_where=text("status = 'open'")),
    Index("deadlines_case", "case_id"),
    Index("deadlines_case_running", "case_id", postgresql_where=text("status <> 'closed'")),
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
    Column("time_limit_class", Text),
    Column("escalation_level", Text),
    Column("suspended", Text),
    Column("supervisor_id", Text),
    Column("community_id", Text),
    Column("completion_round", Integer, nullable=False, server_default="0"),
    Column("completed_at", DateTime(timezone=True)),
    Column("residents_affected", Integer, nullable=False, server_default="1"),
    Column("wide_impact", Boolean, nullable=False, server_default="false"),
    Column("reported_at", DateTime(timezone=True)),
    Column("response", Text),  # the unit's answer: its result, or its explanation (numbers masked)
    # The code the residents hold: the mirror wall shows it, so they find their case there.
    Column("tracking_code", Text),
    Index("cases_district", "district_id", "status"),
    Index("cases_supervisor_open", "supervisor_id", postgresql_where=text("status <> 'completed'")),
    Index("cases_reported", "reported_at"),
)

# Units' names as dispatch's events give them, for the bulletins and the mirror wall.
unit_names = Table(
    "unit_names", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
)

# Supervisors (督办人员) and their remit; each case gets the closest fit when it is first dispatched.
supervisors = Table(
    "supervisors", metadata,
    Column("id", Text, primary_key=True),  # the subject of their token
    Column("jurisdiction_id", Text, ForeignKey("jurisdictions.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("areas", ARRAY(Text), nullable=False, server_default="{}"),
    Column("categories", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
supervisors_version = version_table("supervisors_version", metadata)

# Resident supervisors' certificates (督办证): a revocable credential scoped to areas; the holder's name is kept
# masked, the credential only as a hash.
certificates = Table(
    "certificates", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("holder", Text, nullable=False),
    Column("jurisdiction_id", Text, nullable=False),
    Column("areas", ARRAY(Text), nullable=False),
    Column("credential_hash", Text, nullable=False, unique=True),
    Column("issued_by", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", Text),
    Column("revocation_reason", Text),
)

# Supervision's timeline of a case: clocks opened and closed, warnings, breaches, each step of the ladder, decisions.
case_log = Table(
    "case_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("unit_id", Text),
    Column("text", Text, nullable=False),
    Column("actor", Text),
    Index("case_log_case", "case_id", "at"),
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

# The explanation meeting (情况说明会) a case goes to once residents stayed dissatisfied past the cap on reopenings.
meetings = Table(
    "meetings", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("district_id", Text, nullable=False),
    Column("round", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("called_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),  # called, scheduled, held
    Column("scheduled_for", DateTime(timezone=True)),
    Column("place", Text),
    Column("held_at", DateTime(timezone=True)),
    Column("summary", Text),
    Column("accepted", Boolean),
    Column("recorded_by", Text),
    UniqueConstraint("case_id", "round"),
)

# Three-party panels (三方评事: community, party-member and resident representatives, names masked) of a street and a
# quarter, and their ratings (1-5 from each party) of the units that handled wide-impact cases.
panels = Table(
    "panels", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("district_id", Text, nullable=False),
    Column("quarter", Text, nullable=False),
    Column("street_id", Text, nullable=False),
    Column("members", JSONB, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

panel_ratings = Table(
    "panel_ratings", metadata,
    Column("panel_id", UUID(as_uuid=True), ForeignKey("panels.id"), primary_key=True),
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("unit_id", Text, nullable=False),
    Column("community", SmallInteger, nullable=False),
    Column("party_member", SmallInteger, nullable=False),
    Column("resident", SmallInteger, nullable=False),
    Column("comment", Text),
    Column("rated_at", DateTime(timezone=True), nullable=False),
)

# Officials' contact cards (干部联系卡), the matters each committed to by a day, and residents' scores of them.
officials = Table(
    "officials", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("jurisdiction_id", Text, nullable=False),
    Column("area_id", Text, nullable=False),  # the street or community they answer for
    Column("name", Text, nullable=False),
    Column("post", Text, nullable=False),
    Column("office_phone", Text),  # an office line: the card is public
    Column("duties", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

commitments = Table(
    "commitments", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("official_id", UUID(as_uuid=True), ForeignKey("officials.id"), nullable=False),
    Column("matter", Text, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("kept_on", Date),
    Column("kept_note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("commitments_official", "official_id"),
)

commitment_scores = Table(
    "commitment_scores", metadata,
    Column("commitment_id", UUID(as_uuid=True), ForeignKey("commitments.id"), primary_key=True),
    Column("certificate_id", UUID(as_uuid=True), primary_key=True),  # one score per resident supervisor
    Column("score", SmallInteger, nullable=False),
    Column("comment", Text),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)

# The rates' read model: every event the rates are made of, in the order supervision received it ...
rate_journal = Table(
    "rate_journal", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Index("rate_journal_case", "case_id", "id"),
)

# ... and the facts folded from it, case by case (rebuilt from the journal, they come out the same).
rate_facts = Table(
    "rate_facts", metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("seq", Integer, primary_key=True),
    Column("unit_id", Text, nullable=False),
    Column("street_id", Text, nullable=False),
    Column("grid_id", Text, nullable=False),
    Column("category_code", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("rate_facts_at", "at"),
)

# Cases with journal entries their facts do not reflect yet (the watch folds them again within a second or so).
rate_stale = Table("rate_stale", metadata, Column("case_id", UUID(as_uuid=True), primary_key=True))

# The weekly bulletins (通报) naming late units and cases, as generated (on schedule or on demand).
bulletins = Table(
    "bulletins", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("district_id", Text, nullable=False),
    Column("week", Text, nullable=False),  # ISO week, e.g. 2026-W47, in the jurisdiction's zone
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("generated_by", Text, nullable=False),
    Column("content", JSONB, nullable=False),
    Column("html", Text, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    UniqueConstraint("district_id", "week"),
)
