"""Intake's tables: areas, gazetteer and category tree; reporters (the only personal data), reports, cases, and what
hangs off them: photos, timelines, classifications, verdicts, reveals; batch imports and Open311 keys."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
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
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, REAL, UUID

from shared.http.idempotency import idempotency_table
from shared.messaging.tables import messaging_tables
from shared.persistence.versioned_cache import version_table
from shared.reference.tables import add_reference_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
add_reference_tables(metadata)
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
ground_version = version_table("ground_version", metadata)

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
    Column("service_code", Text, nullable=False, server_default=""),
    Column("examples", JSONB, nullable=False, server_default="[]"),
    Column("attributes", JSONB, nullable=False, server_default="[]"),
    # A retired sub-item keeps a current version with active false: old cases still name it, new ones cannot.
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("changed_by", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One current version per sub-item; cases keep the version they were filed under.
    Index("categories_one_current", "code", unique=True, postgresql_where=text("current")),
    Index("ix_categories_service_code", "service_code", postgresql_where=text("current")),
)

category_classes = Table(
    "category_classes", metadata,
    Column("code", Text, primary_key=True),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
)

# Bumped by every edit of the tree, so each process knows when to retrain its classifier.
category_tree_version = version_table("category_tree_version", metadata)

gazetteer = Table(
    "gazetteer", metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # compound | road
    Column("name_zh", Text, nullable=False),
    Column("aliases", JSONB, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("segments", JSONB, nullable=False),
)

reporters = Table(
    "reporters", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text),
    Column("phone", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_reporters_phone", "phone"),
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
    # Every unit given a part in the case (lead, assisting, summoned, later ones): they may see the report's photos.
    Column("unit_ids", JSONB, nullable=False, server_default="[]"),
    Column("expected_at", DateTime(timezone=True)),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("category_confidence", REAL, nullable=False, server_default="1"),
    Column("classified_by", Text, nullable=False, server_default="resident"),
    Column("needs_triage", Boolean, nullable=False, server_default=text("false")),
    Column("attributes", JSONB, nullable=False, server_default="{}"),
    Column("residents_affected", Integer, nullable=False, server_default="1"),
    # Similar to a case of another sub-item: never linked silently, shown to operators instead.
    Column("suspected_duplicate_of", UUID(as_uuid=True)),
    Column("suggested_category_code", Text),
    Column("source_kind", Text),
    Column("handed_in_on", Date),
    Column("rebound_of", UUID(as_uuid=True)),
    Column("address_id", Text),
    Column("completion_round", Integer, nullable=False, server_default="0"),
    Column("answer", Text),  # the unit's result or explanation, numbers masked: what the residents read
    Column("answer_photo_ids", JSONB, nullable=False, server_default="[]"),  # dispatch serves them
    # The description's words as the classifier reads them, space-separated (a word never holds a space), kept so
    # that finding duplicates need not segment every open case's text again.
    Column("words", Text),
    # The supervisor watching the case (supervision assigns one): the one supervisor who may call its residents.
    Column("supervisor_id", Text),
    ForeignKeyConstraint(["category_code", "category_version"], ["categories.code", "categories.version"]),
    Index("ix_cases_open_by_category", "category_code", "reported_at", postgresql_where=text("status <> 'completed'")),
    Index("ix_cases_reported_at", "reported_at"),
    Index("ix_cases_triage", "reported_at", postgresql_where=text("needs_triage")),
    Index("ix_cases_open_near", "lat", "lon", postgresql_where=text("status <> 'completed'")),
)

# Every report received, on any channel; a case has one primary report and any number of co-reports (duplicates).
reports = Table(
    "reports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False, index=True),
    Column("role", Text, nullable=False),  # primary | co_report
    Column("channel", Text, nullable=False),
    Column("channel_detail", Text),  # which suggestion box, questionnaire or visit log; which group chat
    # The channel's own id (message id, import row key, call id): the same one twice is the same report.
    Column("external_ref", Text),
    Column("description", Text, nullable=False),
    Column("reporter_id", UUID(as_uuid=True), ForeignKey("reporters.id")),
    Column("anonymous", Boolean, nullable=False),
    Column("submitted_by", Text),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("address", Text),
    Column("similarity", REAL),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # Given by an Open311 client; shown back as given, never fetched by gridlink.
    Column("media_url", Text),
    UniqueConstraint("channel", "external_ref"),
)

photos = Table(
    "photos", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("report_id", UUID(as_uuid=True), ForeignKey("reports.id"), index=True),
    Column("content_type", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("content", BYTEA, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every classification a case has had: the classifier's, the resident's pick, an operator's override and why.
classifications = Table(
    "classifications", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False, index=True),
    Column("category_code", Text, nullable=False),
    Column("category_version", Integer, nullable=False),
    Column("confidence", REAL, nullable=False),
    Column("classified_by", Text, nullable=False),
    Column("suggested_code", Text),
    Column("actor", Text),
    Column("reason", Text),
    Column("at", DateTime(timezone=True), nullable=False),
)

verdicts = Table(
    "verdicts", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("submitter", Text, nullable=False),  # the reporter's reference, or the operator who called back
    Column("verdict", Text, nullable=False),
    Column("comment", Text),
    Column("via", Text, nullable=False),  # resident | callback
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "round", "submitter"),
)

# Completions no resident judged in time (supervision asks): an operator calls the resident back (回访).
callback_tasks = Table(
    "callback_tasks", metadata,
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Column("done_by", Text),
    Index("callback_tasks_pending", "requested_at", postgresql_where=text("done_at IS NULL")),
)

# What units asked the operators to ask a resident (they never read the number), and what the resident said.
unit_callbacks = Table(
    "unit_callbacks", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # the unit's request id
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("answered_by", Text),
    Column("reached", Boolean),
    Column("answer", Text),
    Index("unit_callbacks_open", "asked_at", postgresql_where=text("answered_at IS NULL")),
)

# The audit of every full number shown to a person: who, in what role, unit and scope, why, when. ``reason`` is the
# reason's wording as shown then (or a service's purpose), ``reason_code`` the reason chosen from the list.
# The hotline's knowledge base: answers to what callers ask most, edited by admins (retired, never deleted: the
# consultations answered with an article keep pointing at it).
knowledge_articles = Table(
    "knowledge_articles", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("keywords", JSONB, nullable=False, server_default="[]"),
    Column("category_code", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("changed_by", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A consultation answered during the call (即接即办): no case is opened; what was asked and answered is kept.
consultations = Table(
    "consultations", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("call_id", Text, unique=True),  # the same call recorded twice is one consultation
    Column("reporter_id", UUID(as_uuid=True), ForeignKey("reporters.id")),
    Column("question", Text, nullable=False),
    Column("article_id", UUID(as_uuid=True), ForeignKey("knowledge_articles.id")),
    Column("answer", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    Index("consultations_by_time", "answered_at"),
)

reveals = Table(
    "reveals", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False),
    Column("reporter_id", UUID(as_uuid=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_unit", Text),
    Column("actor_scope", Text),
    Column("reason_code", Text),
    Column("purpose_note", Text),
    Index("reveals_by_actor", "actor", "at"),
)

# Reports refused as outside the jurisdiction: what was said and where (never who said it), and where it belongs.
refused_reports = Table(
    "refused_reports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("channel", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("address", Text),
    Column("reason", Text, nullable=False),
    Column("belongs_to", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("refused_reports_received", "received_at"),
)

imports = Table(
    "imports", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("filename", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("content", BYTEA, nullable=False),
    Column("status", Text, nullable=False),  # pending | running | done | failed
    Column("total_rows", Integer, nullable=False, server_default="0"),
    Column("processed_rows", Integer, nullable=False, server_default="0"),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A worker that dies mid-import stops beating; another takes the import over and skips the rows already done.
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
    Index("ix_imports_pending", "created_at", postgresql_where=text("status IN ('pending', 'running')")),
)

import_rows = Table(
    "import_rows", metadata,
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id"), primary_key=True),
    Column("row_number", Integer, primary_key=True),
    Column("outcome", Text, nullable=False),  # accepted | linked | already_imported | refused
    Column("code", Text),
    Column("field", Text),
    Column("message", Text),
    Column("tracking_code", Text),
)

# Open311 API keys: only a hash is kept; the key itself is shown once, when created.
api_keys = Table(
    "api_keys", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("prefix", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
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
