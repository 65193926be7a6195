"""The residents read the unit's answer (its result or explanation) and see the photos it completed the case with.

Revision ID: 0014
"""

from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN answer text, ADD COLUMN answer_photo_ids jsonb NOT NULL DEFAULT '[]'")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN answer, DROP COLUMN answer_photo_ids")
