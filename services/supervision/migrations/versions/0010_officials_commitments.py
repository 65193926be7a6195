"""Officials' contact cards, the matters each committed to by a day, and resident supervisors' scores of them.

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE officials (
            id uuid PRIMARY KEY, jurisdiction_id text NOT NULL, area_id text NOT NULL, name text NOT NULL,
            post text NOT NULL, office_phone text, duties text, created_by text NOT NULL,
            created_at timestamptz NOT NULL
        )
    """)
    op.execute("""
        CREATE TABLE commitments (
            id uuid PRIMARY KEY, official_id uuid NOT NULL REFERENCES officials (id), matter text NOT NULL,
            due_on date NOT NULL, kept_on date, kept_note text, created_by text NOT NULL,
            created_at timestamptz NOT NULL
        )
    """)
    op.execute("CREATE INDEX commitments_official ON commitments (official_id)")
    op.execute("""
        CREATE TABLE commitment_scores (
            commitment_id uuid NOT NULL REFERENCES commitments (id), certificate_id uuid NOT NULL,
            score smallint NOT NULL, comment text, scored_at timestamptz NOT NULL,
            PRIMARY KEY (commitment_id, certificate_id)
        )
    """)


def downgrade() -> None:
    for table in ("commitment_scores", "commitments", "officials"):
        op.execute(f"DROP TABLE {table}")
