"""The rates' read model: the journal of the events they are made of, the facts folded from it case by case, and
the cases whose facts are to be folded again.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE rate_journal (
            id bigserial PRIMARY KEY,
            event_id text NOT NULL UNIQUE,
            case_id uuid NOT NULL,
            type text NOT NULL,
            data jsonb NOT NULL)""")
    op.execute("CREATE INDEX rate_journal_case ON rate_journal (case_id, id)")
    op.execute("""
        CREATE TABLE rate_facts (
            case_id uuid NOT NULL,
            kind text NOT NULL,
            seq integer NOT NULL,
            unit_id text NOT NULL,
            street_id text NOT NULL,
            grid_id text NOT NULL,
            category_code text NOT NULL,
            at timestamptz NOT NULL,
            ok boolean NOT NULL,
            PRIMARY KEY (case_id, seq))""")
    op.execute("CREATE INDEX rate_facts_at ON rate_facts (at)")
    op.execute("CREATE TABLE rate_stale (case_id uuid PRIMARY KEY)")


def downgrade() -> None:
    op.execute("DROP TABLE rate_stale")
    op.execute("DROP TABLE rate_facts")
    op.execute("DROP TABLE rate_journal")
