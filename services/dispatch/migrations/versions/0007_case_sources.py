"""How a case came: the classifier's suggestion beside a hotline operator's pick, a slip's kind and the day it was
handed in.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN suggested_category_code text")
    op.execute("ALTER TABLE cases ADD COLUMN source_kind text")
    op.execute("ALTER TABLE cases ADD COLUMN handed_in_on date")


def downgrade() -> None:
    for column in ("handed_in_on", "source_kind", "suggested_category_code"):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
