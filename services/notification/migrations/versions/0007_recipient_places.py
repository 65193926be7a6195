"""Where a case lies down to its grid, so that a community's or grid's staff see its deliveries (and no one else's).

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("ALTER TABLE case_recipients ADD COLUMN community_id text")
    op.execute("ALTER TABLE case_recipients ADD COLUMN grid_id text")


def downgrade() -> None:
    op.execute("ALTER TABLE case_recipients DROP COLUMN grid_id")
    op.execute("ALTER TABLE case_recipients DROP COLUMN community_id")
