"""The photos a unit completed a case with are shown to the residents who raised it (the rest stay the staff's).

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute("ALTER TABLE photos ADD COLUMN shown_to_residents boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE photos DROP COLUMN shown_to_residents")
