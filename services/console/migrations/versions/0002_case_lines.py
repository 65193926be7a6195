"""Every step of a case as the console heard it: the case page's timeline, merged from all four services.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE case_lines (
            event_id text PRIMARY KEY, case_id uuid NOT NULL, at timestamptz NOT NULL, service text NOT NULL,
            kind text NOT NULL, text_zh text NOT NULL, text_en text NOT NULL)""")
    op.execute("CREATE INDEX case_lines_case ON case_lines (case_id, at)")


def downgrade() -> None:
    op.execute("DROP TABLE case_lines")
