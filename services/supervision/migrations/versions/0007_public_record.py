"""What the public record needs: when each case was reported, the unit's answer, the names of units, and the weekly
bulletins as generated.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN reported_at timestamptz, ADD COLUMN response text")
    op.execute("CREATE INDEX cases_reported ON cases (reported_at)")
    op.execute("CREATE TABLE unit_names (id text PRIMARY KEY, name text NOT NULL)")
    op.execute("""
        CREATE TABLE bulletins (
            id uuid PRIMARY KEY,
            district_id text NOT NULL,
            week text NOT NULL,
            generated_at timestamptz NOT NULL,
            generated_by text NOT NULL,
            content jsonb NOT NULL,
            html text NOT NULL,
            pdf bytea NOT NULL,
            UNIQUE (district_id, week))""")


def downgrade() -> None:
    op.execute("DROP TABLE bulletins")
    op.execute("DROP TABLE unit_names")
    op.execute("DROP INDEX cases_reported")
    op.execute("ALTER TABLE cases DROP COLUMN reported_at, DROP COLUMN response")
