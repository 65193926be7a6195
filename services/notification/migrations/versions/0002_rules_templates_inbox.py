"""What the rules need: where a case lies, who supervises it and whether it is urgent; each delivery's event data,
locale, read mark, earliest sending time and attempts; admins' template overrides.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
        ALTER TABLE case_recipients
            ADD COLUMN district_id text,
            ADD COLUMN street_id text,
            ADD COLUMN supervisor_id text,
            ADD COLUMN urgent boolean NOT NULL DEFAULT false""")
    op.execute("ALTER TABLE case_recipients ALTER COLUMN reporter_ref DROP NOT NULL")
    op.execute("ALTER TABLE case_recipients ALTER COLUMN tracking_code DROP NOT NULL")
    op.execute("""
        ALTER TABLE deliveries
            ADD COLUMN data jsonb,
            ADD COLUMN locale text NOT NULL DEFAULT 'zh',
            ADD COLUMN read_at timestamptz,
            ADD COLUMN not_before timestamptz,
            ADD COLUMN attempts integer NOT NULL DEFAULT 0,
            ADD COLUMN last_error text""")
    op.execute("CREATE INDEX deliveries_inbox ON deliveries (recipient, id) WHERE channel = 'inbox'")
    op.execute("""
        CREATE TABLE templates (
            event_type text NOT NULL,
            audience text NOT NULL,
            template text NOT NULL,
            locale text NOT NULL,
            source text NOT NULL,
            updated_by text NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (event_type, audience, template, locale))""")
    op.execute("CREATE TABLE templates_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO templates_version VALUES (1, 0)")


def downgrade() -> None:
    op.execute("DROP TABLE templates_version")
    op.execute("DROP TABLE templates")
    op.execute("DROP INDEX deliveries_inbox")
    op.execute("""ALTER TABLE deliveries DROP COLUMN data, DROP COLUMN locale, DROP COLUMN read_at,
                  DROP COLUMN not_before, DROP COLUMN attempts, DROP COLUMN last_error""")
    op.execute("""ALTER TABLE case_recipients DROP COLUMN district_id, DROP COLUMN street_id,
                  DROP COLUMN supervisor_id, DROP COLUMN urgent""")
