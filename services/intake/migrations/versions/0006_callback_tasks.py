"""Call-back tasks for operators: a completion no resident judged in time.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE callback_tasks (
            case_id uuid NOT NULL REFERENCES cases (id),
            round integer NOT NULL,
            requested_at timestamptz NOT NULL,
            done_at timestamptz,
            done_by text,
            PRIMARY KEY (case_id, round))""")
    op.execute("CREATE INDEX callback_tasks_pending ON callback_tasks (requested_at) WHERE done_at IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE callback_tasks")
