"""Intake's first schema: areas, category tree, reporters, cases, timeline, outbox and inbox.

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
        CREATE TABLE areas (
            id text PRIMARY KEY, level text NOT NULL, parent_id text, name_zh text NOT NULL, name_en text NOT NULL,
            polygon jsonb NOT NULL)""")
    op.execute("""
        CREATE TABLE categories (
            code text NOT NULL, version integer NOT NULL, class_code text NOT NULL, name_zh text NOT NULL,
            name_en text NOT NULL, time_limit_class text NOT NULL, priority text NOT NULL,
            handle_locally boolean NOT NULL, keywords jsonb NOT NULL, current boolean NOT NULL,
            PRIMARY KEY (code, version))""")
    op.execute("CREATE UNIQUE INDEX categories_one_current ON categories (code) WHERE current")
    op.execute("""
        CREATE TABLE reporters (
            id uuid PRIMARY KEY, name text, phone text, created_at timestamptz NOT NULL DEFAULT now())""")
    op.execute("""
        CREATE TABLE cases (
            id uuid PRIMARY KEY, tracking_code text NOT NULL UNIQUE, category_code text NOT NULL,
            category_version integer NOT NULL, description text NOT NULL, channel text NOT NULL,
            urgent boolean NOT NULL, lat double precision NOT NULL, lon double precision NOT NULL, address text,
            grid_id text NOT NULL, reporter_id uuid REFERENCES reporters (id), anonymous boolean NOT NULL,
            status text NOT NULL, unit_name text, expected_at timestamptz, reported_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            FOREIGN KEY (category_code, category_version) REFERENCES categories (code, version))""")
    op.execute("""
        CREATE TABLE case_timeline (
            id serial PRIMARY KEY, case_id uuid NOT NULL REFERENCES cases (id), at timestamptz NOT NULL,
            kind text NOT NULL, text_zh text NOT NULL, text_en text NOT NULL, event_id text,
            UNIQUE (case_id, kind, event_id))""")
    op.execute("CREATE INDEX ix_case_timeline_case_id ON case_timeline (case_id)")
