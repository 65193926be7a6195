"""Partner notices held until their case's report says where the case lies.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE held_notices (
            event_id text PRIMARY KEY,
            case_id uuid NOT NULL,
            event_type text NOT NULL,
            data jsonb NOT NULL,
            occurred_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX ix_held_notices_case_id ON held_notices (case_id)")


def downgrade() -> None:
    op.execute("DROP TABLE held_notices")
