"""What a case page shows besides the timeline: the address, the report's photos, every unit with a part, and each
unit's running clocks (from supervision's deadlines); the areas' boundaries for the map.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
        ALTER TABLE cases
            ADD COLUMN address text,
            ADD COLUMN photo_ids jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN unit_ids jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN given_at timestamptz,
            ADD COLUMN clocks jsonb NOT NULL DEFAULT '{}'""")
    op.execute("CREATE INDEX cases_units ON cases USING gin (unit_ids)")
    op.execute("CREATE TABLE area_shapes (area_id text PRIMARY KEY, level text NOT NULL, parent_id text, "
               "polygon jsonb NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE area_shapes")
    op.execute("DROP INDEX cases_units")
    op.execute("ALTER TABLE cases DROP COLUMN address, DROP COLUMN photo_ids, DROP COLUMN unit_ids, "
               "DROP COLUMN given_at, DROP COLUMN clocks")
