"""Channels to fall back on, the queue of messages to send and the recipients' recent ones (rate limits), the
messaging group to answer in, staff e-mail addresses and languages.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("ALTER TABLE case_recipients ADD COLUMN reply_to text, ADD COLUMN waiting boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE deliveries ADD COLUMN fallbacks text[] NOT NULL DEFAULT '{}'")
    op.execute("CREATE INDEX deliveries_queued ON deliveries (id) WHERE status = 'queued'")
    op.execute("""CREATE INDEX deliveries_sent_to ON deliveries (recipient, updated_at)
                  WHERE status = 'delivered' AND channel <> 'inbox'""")
    op.execute("""
        CREATE TABLE contact_points (
            recipient text PRIMARY KEY,
            email text,
            locale text NOT NULL DEFAULT 'zh',
            updated_by text NOT NULL,
            updated_at timestamptz NOT NULL)""")
    op.execute("CREATE TABLE contact_points_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO contact_points_version VALUES (1, 0)")


def downgrade() -> None:
    op.execute("DROP TABLE contact_points_version")
    op.execute("DROP TABLE contact_points")
    op.execute("DROP INDEX deliveries_sent_to")
    op.execute("DROP INDEX deliveries_queued")
    op.execute("ALTER TABLE deliveries DROP COLUMN fallbacks")
    op.execute("ALTER TABLE case_recipients DROP COLUMN reply_to, DROP COLUMN waiting")
