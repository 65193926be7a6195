"""Webhook messages and every attempt to deliver them; how long an endpoint has been failing; each case's sub-item
for partner notices.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("ALTER TABLE case_recipients ADD COLUMN category_code text")
    op.execute("ALTER TABLE webhook_endpoints ADD COLUMN failing_since timestamptz")
    op.execute("CREATE TABLE webhook_endpoints_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO webhook_endpoints_version VALUES (1, 0)")
    op.execute("""
        CREATE TABLE webhook_messages (
            id text PRIMARY KEY,
            endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
            event_id text NOT NULL,
            case_id uuid NOT NULL,
            step text NOT NULL,
            payload text NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            last_status_code integer,
            last_error text,
            created_at timestamptz NOT NULL,
            delivered_at timestamptz,
            UNIQUE (endpoint_id, event_id))""")
    op.execute("""CREATE INDEX webhook_messages_due ON webhook_messages (endpoint_id, next_attempt_at)
                  WHERE status = 'pending'""")
    op.execute("CREATE INDEX webhook_messages_of_endpoint ON webhook_messages (endpoint_id, created_at)")
    op.execute("""
        CREATE TABLE webhook_attempts (
            id bigserial PRIMARY KEY,
            message_id text NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
            attempt integer NOT NULL,
            attempted_at timestamptz NOT NULL,
            status_code integer,
            error text,
            duration_ms integer NOT NULL,
            next_attempt_at timestamptz)""")
    op.execute("CREATE INDEX ix_webhook_attempts_message_id ON webhook_attempts (message_id)")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_attempts")
    op.execute("DROP TABLE webhook_messages")
    op.execute("DROP TABLE webhook_endpoints_version")
    op.execute("ALTER TABLE webhook_endpoints DROP COLUMN failing_since")
    op.execute("ALTER TABLE case_recipients DROP COLUMN category_code")
