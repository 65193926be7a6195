"""What a case page shows besides the timeline: the address, the report's photos, every unit with a part, and each
unit's running clocks (from supervision's deadlines), joint handling's summons; the areas' boundaries for the map; the operations page's samples and re-drives; sign-ins under way at an identity provider.

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
            ADD COLUMN clocks jsonb NOT NULL DEFAULT '{}',
            ADD COLUMN summons jsonb""")
    op.execute("CREATE INDEX cases_units ON cases USING gin (unit_ids)")
    op.execute("CREATE TABLE operations_samples (id bigserial PRIMARY KEY, at timestamptz NOT NULL, service text NOT NULL, "
               "status text NOT NULL, outbox_backlog integer, consumer_lag integer, reasons jsonb NOT NULL DEFAULT "
               "'[]', requests double precision, errors double precision, dead_lettered double precision)")
    op.execute("CREATE INDEX operations_samples_at ON operations_samples (service, at)")
    op.execute("CREATE TABLE redriven (dead_letter text PRIMARY KEY, by_username text NOT NULL, "
               "at timestamptz NOT NULL)")
    op.execute("CREATE TABLE oidc_logins (state text PRIMARY KEY, nonce text NOT NULL, code_verifier text NOT NULL, "
               "next_path text NOT NULL, created_at timestamptz NOT NULL)")
    op.execute("CREATE TABLE area_shapes (area_id text PRIMARY KEY, level text NOT NULL, parent_id text, "
               "polygon jsonb NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE area_shapes")
    op.execute("DROP TABLE operations_samples")
    op.execute("DROP TABLE redriven")
    op.execute("DROP TABLE oidc_logins")
    op.execute("DROP INDEX cases_units")
    op.execute("ALTER TABLE cases DROP COLUMN address, DROP COLUMN photo_ids, DROP COLUMN unit_ids, "
               "DROP COLUMN given_at, DROP COLUMN clocks, DROP COLUMN summons")
