"""Least-privilege reveals: each case's supervisor (who may call its residents back), and an audit line naming the
person, role, unit and scope, a reason from the list and the caller's own words.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN supervisor_id text")
    op.execute("ALTER TABLE reveals ADD COLUMN actor_unit text")
    op.execute("ALTER TABLE reveals ADD COLUMN actor_scope text")
    op.execute("ALTER TABLE reveals ADD COLUMN reason_code text")
    op.execute("ALTER TABLE reveals ADD COLUMN purpose_note text")
    # Counting a person's reveals of the last hour (the rate limit) reads these.
    op.execute("CREATE INDEX reveals_by_actor ON reveals (actor, at)")


def downgrade() -> None:
    op.execute("DROP INDEX reveals_by_actor")
    for column in ("actor_unit", "actor_scope", "reason_code", "purpose_note"):
        op.execute(f"ALTER TABLE reveals DROP COLUMN {column}")
    op.execute("ALTER TABLE cases DROP COLUMN supervisor_id")
