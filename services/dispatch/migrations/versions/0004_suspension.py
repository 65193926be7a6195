"""What a unit waits on while it handles a case (the resident, a third party, the weather).

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN suspended text")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN suspended")
