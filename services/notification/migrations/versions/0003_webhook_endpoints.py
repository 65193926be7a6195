"""Partners' webhook endpoints with their filters and signing secret.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE webhook_endpoints (
            id uuid PRIMARY KEY,
            partner text NOT NULL,
            url text NOT NULL,
            secret text NOT NULL,
            event_types text[] NOT NULL,
            areas text[] NOT NULL,
            status text NOT NULL,
            disabled_reason text,
            created_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX webhook_endpoints_active ON webhook_endpoints (status) WHERE status = 'active'")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_endpoints")
