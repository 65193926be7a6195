"""Reports refused because they lie outside the jurisdiction, kept (without the resident's contact) with where they
belong, so that nothing a resident said is lost and the linkage centre can pass it on.

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE refused_reports (
            id uuid PRIMARY KEY,
            channel text NOT NULL,
            description text NOT NULL,
            lat double precision,
            lon double precision,
            address text,
            reason text NOT NULL,
            belongs_to text,
            received_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX refused_reports_received ON refused_reports (received_at)")


def downgrade() -> None:
    op.execute("DROP TABLE refused_reports")
