"""A case whose problem came back at the same place soon after an earlier case there was completed names it.

Revision ID: 0013
"""

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN rebound_of uuid")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN rebound_of")
