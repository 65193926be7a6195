"""Notification's first schema: case recipients, the delivery log, outbox and inbox.

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
        CREATE TABLE case_recipients (
            case_id uuid PRIMARY KEY, reporter_ref text NOT NULL, phone_masked text, tracking_code text NOT NULL)""")
    op.execute("""
        CREATE TABLE deliveries (
            id bigserial PRIMARY KEY, event_id text NOT NULL, event_type text NOT NULL, case_id uuid NOT NULL,
            audience text NOT NULL, recipient text NOT NULL, channel text NOT NULL, template text NOT NULL,
            body text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (event_id, audience, recipient))""")
    op.execute("CREATE INDEX ix_deliveries_case_id ON deliveries (case_id)")
