"""What the handling life cycle keeps on a case (returns, co-handling parts, transfers, joint handling, explanations,
redo count), the deadlines supervision set (for a unit's queue by due time), and idempotency keys for the units' and dispatchers' commands.

Revision ID: 0002
"""

from alembic import op

from shared.http.idempotency import IDEMPOTENCY_DDL_V1

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
        ALTER TABLE cases
            ADD COLUMN redo_count integer NOT NULL DEFAULT 0,
            ADD COLUMN excluded_unit_ids jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN parts_reported jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN transfer_to text,
            ADD COLUMN state_before_transfer text,
            ADD COLUMN summons jsonb,
            ADD COLUMN planned_date date,
            ADD COLUMN extensions_requested integer NOT NULL DEFAULT 0,
            ADD COLUMN sign_due_at timestamptz,
            ADD COLUMN due_at timestamptz""")
    op.execute("CREATE INDEX cases_lead_unit_due ON cases (lead_unit_id, due_at)")
    for statement in IDEMPOTENCY_DDL_V1:
        op.execute(statement)
