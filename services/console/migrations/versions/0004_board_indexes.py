"""The board's list read in its order from an index (newest first, a page at a time), and the read model's latest
change found without a scan (the board's counts are kept until it changes).

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("CREATE INDEX cases_listed ON cases (reported_at DESC NULLS LAST, id)")
    op.execute("CREATE INDEX cases_changed ON cases (updated_at)")


def downgrade() -> None:
    op.execute("DROP INDEX cases_changed")
    op.execute("DROP INDEX cases_listed")
