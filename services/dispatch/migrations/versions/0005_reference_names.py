"""The names of the reference data other services own (units, sub-items, areas), kept from their events, and what
this service published of its own.

Revision ID: 0005
"""

from alembic import op

from shared.reference.tables import REFERENCE_DDL_V1, REFERENCE_DDL_V1_DOWN

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    for statement in REFERENCE_DDL_V1:
        op.execute(statement)


def downgrade() -> None:
    for statement in REFERENCE_DDL_V1_DOWN:
        op.execute(statement)
