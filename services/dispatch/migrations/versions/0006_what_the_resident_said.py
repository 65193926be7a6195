"""What the resident said and where (masked, as intake published it), the report's photos and how many residents
raised it: the units given a case read what they must act on.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN description text NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE cases ADD COLUMN address text")
    op.execute("ALTER TABLE cases ADD COLUMN lat double precision")
    op.execute("ALTER TABLE cases ADD COLUMN lon double precision")
    op.execute("ALTER TABLE cases ADD COLUMN channel text")
    op.execute("ALTER TABLE cases ADD COLUMN resident_photo_ids jsonb NOT NULL DEFAULT '[]'")
    op.execute("ALTER TABLE cases ADD COLUMN residents_affected integer NOT NULL DEFAULT 1")


def downgrade() -> None:
    for column in ("residents_affected", "resident_photo_ids", "channel", "lon", "lat", "address", "description"):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
