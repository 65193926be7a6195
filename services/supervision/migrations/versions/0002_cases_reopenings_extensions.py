"""What supervision knows of each case (where it lies, which unit has it), the completion rounds reopened after a
dissatisfied verdict, and units' extension requests with their decisions; idempotency keys for its commands.

Revision ID: 0002
"""

from alembic import op

from shared.http.idempotency import IDEMPOTENCY_DDL_V1

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE cases (
            id uuid PRIMARY KEY, district_id text NOT NULL, street_id text NOT NULL, grid_id text NOT NULL,
            category_code text NOT NULL, unit_id text, status text NOT NULL, updated_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX cases_district ON cases (district_id, status)")
    op.execute("""
        CREATE TABLE reopenings (
            case_id uuid NOT NULL, round integer NOT NULL, reopened_at timestamptz NOT NULL,
            PRIMARY KEY (case_id, round))""")
    op.execute("""
        CREATE TABLE extension_requests (
            id bigserial PRIMARY KEY, case_id uuid NOT NULL, unit_id text NOT NULL, district_id text NOT NULL,
            reason text NOT NULL, proposed_date date NOT NULL, requested_at timestamptz NOT NULL,
            requested_by_event text NOT NULL UNIQUE, status text NOT NULL, due_at timestamptz, decided_by text,
            decision_reason text, decided_at timestamptz)""")
    op.execute("CREATE INDEX extension_requests_pending ON extension_requests (district_id, requested_at) "
               "WHERE status = 'pending'")
    for statement in IDEMPOTENCY_DDL_V1:
        op.execute(statement)
