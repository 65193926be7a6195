"""The units given a part in each case, so that they may see the report's photos.

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN unit_ids jsonb NOT NULL DEFAULT '[]'")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN unit_ids")
