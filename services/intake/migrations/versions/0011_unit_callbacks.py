"""What units ask the operators to ask a resident, and what the resident said.

Revision ID: 0011
"""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE unit_callbacks (
            id uuid PRIMARY KEY,
            case_id uuid NOT NULL REFERENCES cases (id),
            unit_id text NOT NULL,
            question text NOT NULL,
            asked_at timestamptz NOT NULL,
            answered_at timestamptz,
            answered_by text,
            reached boolean,
            answer text
        )
    """)
    op.execute("CREATE INDEX unit_callbacks_open ON unit_callbacks (asked_at) WHERE answered_at IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE unit_callbacks")
