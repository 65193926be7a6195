"""The console's first schema: accounts, sessions, the read model of cases; outbox, inbox and reference names.

Revision ID: 0001
"""

from alembic import op

from shared.messaging.tables import MESSAGING_DDL_V1
from shared.reference.tables import REFERENCE_DDL_V1

revision = "0001"
down_revision = None


def upgrade() -> None:
    for statement in (*MESSAGING_DDL_V1, *REFERENCE_DDL_V1):
        op.execute(statement)
    op.execute("""
        CREATE TABLE accounts (
            username text PRIMARY KEY, display_name text NOT NULL, password_hash text NOT NULL, role text NOT NULL,
            jurisdiction text NOT NULL, scope jsonb NOT NULL, unit_id text, failures integer NOT NULL DEFAULT 0,
            locked_until timestamptz, created_at timestamptz NOT NULL, last_sign_in timestamptz)""")
    op.execute("""
        CREATE TABLE sessions (
            id_hash text PRIMARY KEY, username text NOT NULL, csrf_token text NOT NULL,
            created_at timestamptz NOT NULL, last_seen timestamptz NOT NULL)""")
    op.execute("CREATE INDEX sessions_user ON sessions (username)")
    op.execute("""
        CREATE TABLE cases (
            id uuid PRIMARY KEY, tracking_code text, category_code text, district_id text, street_id text,
            community_id text, grid_id text, lat double precision, lon double precision, channel text,
            urgent boolean NOT NULL DEFAULT false, description text, residents_affected integer NOT NULL DEFAULT 1,
            reported_at timestamptz, status text NOT NULL DEFAULT 'received', unit_id text, clock_state text,
            escalation_level text, awaiting_verdict boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX cases_open ON cases (status, reported_at)")
    op.execute("CREATE INDEX cases_reported ON cases (reported_at) WHERE reported_at IS NOT NULL")


def downgrade() -> None:
    for table in ("cases", "sessions", "accounts", "reference_published", "reference_names_version",
                  "reference_names", "inbox", "outbox"):
        op.execute(f"DROP TABLE {table}")
