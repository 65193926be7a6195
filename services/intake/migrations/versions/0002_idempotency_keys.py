"""Idempotency keys for intake's mutating routes.

Revision ID: 0002
"""

from alembic import op

from shared.http.idempotency import IDEMPOTENCY_DDL_V1

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    for statement in IDEMPOTENCY_DDL_V1:
        op.execute(statement)
