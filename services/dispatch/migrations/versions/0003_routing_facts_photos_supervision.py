"""What automatic re-routing needs on a case (category class, local handling), what supervision's decisions leave
on it (a pending extension, the escalation step reached and the reply it owes), and units' photos.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
        ALTER TABLE cases
            ADD COLUMN category_class text,
            ADD COLUMN handle_locally boolean NOT NULL DEFAULT false,
            ADD COLUMN extension_pending boolean NOT NULL DEFAULT false,
            ADD COLUMN escalation_level text,
            ADD COLUMN reply_by timestamptz""")
    # Joint handling whose check-in limit has passed without the alert being raised yet: the poller's index.
    op.execute("""CREATE INDEX cases_summons_due ON cases (((summons->>'check_in_by')))
                  WHERE summons IS NOT NULL AND NOT (summons ? 'alerted')""")
    op.execute("""
        CREATE TABLE photos (
            id uuid PRIMARY KEY,
            unit_id text NOT NULL REFERENCES units (id),
            case_id uuid REFERENCES cases (id),
            content_type text NOT NULL,
            width integer NOT NULL,
            height integer NOT NULL,
            sha256 text NOT NULL,
            content bytea NOT NULL,
            uploaded_at timestamptz NOT NULL DEFAULT now())""")
    op.execute("CREATE INDEX ix_photos_case_id ON photos (case_id)")
