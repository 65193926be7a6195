"""Dispatch's first schema: units, routing rules, cases, their history, outbox and inbox.

Revision ID: 0001
"""

from alembic import op

from shared.messaging.tables import MESSAGING_DDL_V1

revision = "0001"
down_revision = None


def upgrade() -> None:
    for statement in MESSAGING_DDL_V1:
        op.execute(statement)
    op.execute("""
        CREATE TABLE units (
            id text PRIMARY KEY, kind text NOT NULL, parent_id text, name_zh text NOT NULL, name_en text NOT NULL,
            areas jsonb NOT NULL, categories jsonb NOT NULL, contact text, hours text)""")
    op.execute("""
        CREATE TABLE routing_rules (
            id text PRIMARY KEY, category text, area text, lead_unit_id text REFERENCES units (id), lead_kind text,
            assisting jsonb NOT NULL, assisting_kind text, local_only boolean NOT NULL,
            CHECK ((lead_unit_id IS NULL) <> (lead_kind IS NULL)))""")
    op.execute("CREATE TABLE directory_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO directory_version VALUES (1, 0)")
    op.execute("""
        CREATE TABLE cases (
            id uuid PRIMARY KEY, category_code text NOT NULL, time_limit_class text NOT NULL, urgent boolean NOT NULL,
            area jsonb NOT NULL, status text NOT NULL, lead_unit_id text REFERENCES units (id),
            assisting_unit_ids jsonb NOT NULL, rule_id text, version integer NOT NULL,
            reported_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX cases_lead_unit ON cases (lead_unit_id, status)")
    op.execute("""
        CREATE TABLE case_history (
            id bigserial PRIMARY KEY, case_id uuid NOT NULL REFERENCES cases (id), at timestamptz NOT NULL,
            action text NOT NULL, unit_id text, rule_id text, note text NOT NULL)""")
    op.execute("CREATE INDEX ix_case_history_case_id ON case_history (case_id)")
