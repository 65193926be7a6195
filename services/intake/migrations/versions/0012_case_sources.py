"""What a case keeps of how it came: the classifier's suggestion beside a person's pick, and a slip's kind and the day
the resident handed it in.

Revision ID: 0012
"""

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN suggested_category_code text")
    op.execute("ALTER TABLE cases ADD COLUMN source_kind text")
    op.execute("ALTER TABLE cases ADD COLUMN handed_in_on date")


def downgrade() -> None:
    for column in ("handed_in_on", "source_kind", "suggested_category_code"):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
