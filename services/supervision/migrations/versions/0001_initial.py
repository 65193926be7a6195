"""Supervision's first schema: jurisdictions, time-limit policies, deadlines, outbox and inbox.

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
        CREATE TABLE jurisdictions (id text PRIMARY KEY, timezone text NOT NULL, working_hours jsonb NOT NULL)""")
    op.execute("""
        CREATE TABLE time_limit_policies (
            jurisdiction_id text NOT NULL REFERENCES jurisdictions (id), time_limit_class text NOT NULL,
            sign_for_hours double precision NOT NULL, completion_days integer, completion_hours double precision,
            clock boolean NOT NULL, PRIMARY KEY (jurisdiction_id, time_limit_class),
            CHECK ((completion_days IS NULL) <> (completion_hours IS NULL)))""")
    op.execute("""
        CREATE TABLE deadlines (
            id bigserial PRIMARY KEY, case_id uuid NOT NULL, unit_id text NOT NULL, kind text NOT NULL,
            due_at timestamptz NOT NULL, status text NOT NULL, next_fire_at timestamptz, policy text NOT NULL,
            opened_by_event text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (opened_by_event, kind))""")
    # The poller's index: only open deadlines, by when they next need attention.
    op.execute("CREATE INDEX deadlines_due ON deadlines (next_fire_at) WHERE status = 'open'")
    op.execute("CREATE INDEX deadlines_case ON deadlines (case_id)")
