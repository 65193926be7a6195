"""The code the residents hold for each case, shown on the mirror wall so that they find their case there.

Revision ID: 0009
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN tracking_code text")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN tracking_code")
